from ...audit import ACTIONS, TABLES
from ..scoped import ScopedModelView
from .labels import choice_formatter, labels


class AuditView(ScopedModelView):
    """The audit log, read-only for everyone."""
    allow_create = allow_edit = allow_delete = False
    column_list = ["at", "actor", "action", "table_name", "record_id", "note"]
    column_details_list = ["at", "actor", "action", "table_name", "record_id", "before", "after", "note"]
    column_labels = labels("at", "actor", "action", "table_name", "record_id", "before", "after", "note")
    column_default_sort = ("id", True)
    column_filters = ["table_name", "action", "actor", "at"]
    column_searchable_list = ["actor", "record_id"]
    column_formatters = {"action": choice_formatter(ACTIONS), "table_name": choice_formatter(TABLES)}
