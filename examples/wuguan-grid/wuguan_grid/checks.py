"""Two checks: a grid member in no cell (漏管 by the grid), and a cell nobody has patrolled lately.

Each is one SELECT for the whole city (or the swept community), never a loop over members.
"""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import String, and_, cast, exists, func, literal, or_, select

from core.plugin_api import Check, Member

from .models import GridAssignment, GridCell, GridPatrol

CATEGORY = "grid_member"


def last_patrols():
    """Each cell's latest patrol date, as a subquery (cell_id, last)."""
    return (select(GridPatrol.cell_id, func.max(GridPatrol.patrolled_on).label("last"))
            .group_by(GridPatrol.cell_id).subquery())


def unassigned(ctx):
    org = func.coalesce(Member.location_id, Member.affiliation_id)
    return (select(Member.id.label("subject_id"), org.label("org_id"),
                   literal(_("网格党员尚未划入任何网格")).label("detail"))
            .where(Member.category == CATEGORY, Member.state == "active",
                   or_(ctx.covers(Member.location_id),
                       and_(Member.location_id.is_(None), ctx.covers(Member.affiliation_id))),
                   ~exists().where(GridAssignment.member_id == Member.id)))


def patrol_overdue(ctx):
    cutoff = ctx.today - dt.timedelta(days=ctx.settings["patrol_every_days"])
    last = last_patrols()
    since = func.coalesce(last.c.last, GridCell.created_on)
    detail = (literal(_("网格")) + literal("“") + GridCell.name + literal("”")
              + literal(_("上次巡查：")) + func.coalesce(cast(last.c.last, String), literal(_("从未巡查"))))
    return (select(GridCell.id.label("subject_id"), GridCell.org_id.label("org_id"), detail.label("detail"))
            .outerjoin(last, last.c.cell_id == GridCell.id)
            .where(ctx.covers(GridCell.org_id), since < cutoff))


CHECKS = [
    Check(code="grid.unassigned", title=_l("网格党员未划入网格"), severity="warning", query=unassigned,
          description=_l("网格党员应划入其居住地的一个网格，由网格员联系")),
    Check(code="grid.patrol_overdue", title=_l("网格超期未巡查"), severity="info", query=patrol_overdue,
          subject="grid_cell", description=_l("网格员应按设定的周期（默认30天）巡查网格")),
]
