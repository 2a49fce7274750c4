from ...models.transfers import DIRECTIONS, STATES
from ..scoped import ScopedModelView
from .labels import choice_formatter, choice_list, labels


class TransferView(ScopedModelView):
    column_list = ["member", "direction", "letter_no", "from_org", "from_org_name", "to_org", "to_org_name",
                   "issued_on", "valid_until", "receipt_returned_on", "state"]
    column_labels = labels("member", "direction", "letter_no", "from_org", "from_org_name", "to_org", "to_org_name",
                           "issued_on", "valid_until", "received_on", "receipt_returned_on", "state", "within_city")
    column_sortable_list = ["letter_no", "issued_on", "valid_until", "state"]
    column_default_sort = ("issued_on", True)
    column_searchable_list = ["letter_no"]
    column_filters = ["state", "direction", "valid_until"]
    column_formatters = {"direction": choice_formatter(DIRECTIONS), "state": choice_formatter(STATES)}
    form_columns = ["member", "direction", "within_city", "from_org", "from_org_name", "to_org", "to_org_name",
                    "letter_no", "issued_on", "valid_until", "received_on", "receipt_returned_on", "state"]
    form_choices = {"direction": choice_list(DIRECTIONS), "state": choice_list(STATES)}
    form_ajax_refs = {"member": {"fields": ["name", "name_pinyin", "name_initials"], "page_size": 10}}
    form_args = {"valid_until": {"description": "留空则按规定自动计算：市内10天，市外30天"}}
