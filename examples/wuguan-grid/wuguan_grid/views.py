"""The grid's screens, under their own menu category; scoped by core's view so staff see their part only."""
from flask_babel import lazy_gettext as _l

from core.plugin_api import ScopedModelView

from .models import GridAssignment, GridCell, GridPatrol

LABELS = {"org": _l("社区"), "name": _l("网格"), "buildings": _l("楼栋"), "worker": _l("网格员"),
          "worker_phone": _l("网格员电话"), "created_on": _l("划定日期"), "member": _l("党员"),
          "cell": _l("网格"), "patrolled_on": _l("巡查日期"), "notes": _l("情况记录")}


class GridCellView(ScopedModelView):
    scope_org_column = "org_id"
    column_list = ["org", "name", "buildings", "worker", "worker_phone"]
    form_columns = ["org", "name", "buildings", "worker", "worker_phone"]
    column_searchable_list = ["name", "worker"]
    column_labels = LABELS


class GridAssignmentView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "cell"]
    form_columns = ["member", "cell"]
    column_labels = LABELS


class GridPatrolView(ScopedModelView):
    scope_org_column = "org_id"
    column_list = ["patrolled_on", "cell", "member", "notes"]
    form_columns = ["cell", "patrolled_on", "member", "notes"]
    column_default_sort = ("patrolled_on", True)
    column_labels = LABELS


def add_views(admin):
    category = _l("网格管")
    admin.add_view(GridCellView(GridCell, name=_l("网格"), category=category, endpoint="grid_cell"))
    admin.add_view(GridAssignmentView(GridAssignment, name=_l("网格党员"), category=category,
                                      endpoint="grid_assignment"))
    admin.add_view(GridPatrolView(GridPatrol, name=_l("巡查走访"), category=category, endpoint="grid_patrol"))
