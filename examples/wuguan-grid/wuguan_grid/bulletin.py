"""The grid's part of a community's or street's 通报: cells, members in them, patrols of the period.

One statement whatever the number of cells; an organization without cells gets no section.
"""
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from core.plugin_api import BulletinSection, db

from .models import GridAssignment, GridCell, GridPatrol


def cells_section(ctx):
    if ctx.kind == "employer":
        return []
    members = (select(func.count()).where(GridAssignment.cell_id == GridCell.id)
               .correlate(GridCell).scalar_subquery())
    patrols = (select(func.count()).where(GridPatrol.cell_id == GridCell.id,
                                          and_(GridPatrol.patrolled_on >= ctx.period.start,
                                               GridPatrol.patrolled_on < ctx.period.end))
               .correlate(GridCell).scalar_subquery())
    rows = db.session.execute(
        select(GridCell.name, GridCell.worker, members, patrols)
        .where(ctx.orgs_in_scope(GridCell.org_id)).order_by(GridCell.org_id, GridCell.name)).all()
    if not rows:
        return []
    table = [[name, worker, int(n), int(p)] for name, worker, n, p in rows]
    total_members, total_patrols = sum(r[2] for r in table), sum(r[3] for r in table)
    idle = sum(1 for r in table if r[3] == 0)
    return [BulletinSection(
        key="grid.cells", title=_("网格化管理"), order=60,
        summary=_("共%(cells)d个网格，划入党员%(members)d名；本期巡查走访%(patrols)d次，%(idle)d个网格未巡查。",
                  cells=len(table), members=total_members, patrols=total_patrols, idle=idle),
        columns=[_("网格"), _("网格员"), _("党员数"), _("本期巡查")], rows=table,
        figures={_("网格数"): len(table), _("本期巡查"): total_patrols})]
