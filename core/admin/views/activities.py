from ...models import Attendance
from ...plugins import host
from ..scoped import ScopedModelView
from .labels import choice_list, labels


class ActivityView(ScopedModelView):
    """三会一课 and the other kinds of organizational life, with who attended."""
    column_list = ["held_on", "kind", "org", "topic"]
    column_labels = labels("held_on", "kind", "org", "topic", "notes", "attendance")
    column_sortable_list = ["held_on", "kind"]
    column_default_sort = ("held_on", True)
    column_searchable_list = ["topic"]
    column_filters = ["kind", "held_on"]
    form_columns = ["org", "kind", "held_on", "topic", "notes", "attendance"]
    inline_models = [(Attendance, {
        "form_columns": ["id", "member", "present", "absence_reason"],
        "column_labels": labels("member", "present", "absence_reason"),
        "form_ajax_refs": {"member": {"fields": ["name", "name_pinyin", "name_initials"], "page_size": 10}},
    })]

    def __init__(self, model, *args, **kwargs):
        kinds = host().activity_kinds()
        self.form_choices = {"kind": choice_list(kinds)}
        self.column_formatters = {"kind": lambda v, c, m, n: str(kinds.get(m.kind, m.kind))}
        super().__init__(model, *args, **kwargs)
