from ...models.units import KINDS
from ..scoped import ScopedModelView
from .labels import choice_formatter, choice_list, labels


class WorkUnitView(ScopedModelView):
    """The city's employers: any staffer looks them up; street staff and admins keep them."""
    write_roles = ("admin", "street")
    column_list = ["name", "kind", "party_org_name", "contact_person", "phone", "email"]
    column_labels = labels("name", "kind", "party_org_name", "contact_person", "phone", "email", "address")
    column_searchable_list = ["name"]
    column_sortable_list = ["name", "kind"]
    column_filters = ["kind"]
    column_formatters = {"kind": choice_formatter(KINDS)}
    form_columns = ["name", "kind", "address", "party_org_name", "contact_person", "phone", "email"]
    form_choices = {"kind": choice_list(KINDS)}
