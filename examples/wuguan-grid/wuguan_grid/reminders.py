"""A weekly reminder to each community of its cells whose patrol falls due within `notice_days`."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, literal, select

from core.plugin_api import Organization, ReminderRule

from .checks import last_patrols
from .models import GridCell


def patrol_due(ctx):
    """The key holds the cell and its last patrol, so each patrol cycle is reminded once."""
    due_by = ctx.today + dt.timedelta(days=ctx.settings["notice_days"])
    cutoff = due_by - dt.timedelta(days=ctx.settings["patrol_every_days"])
    last = last_patrols()
    since = func.coalesce(last.c.last, GridCell.created_on)
    return (select(Organization.email.label("recipient"),
                   (literal("cell:") + cast(GridCell.id, String) + literal(":") + cast(since, String))
                   .label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   GridCell.name.label("cell"), GridCell.worker.label("worker"),
                   cast(last.c.last, String).label("last"))
            .join(Organization, Organization.id == GridCell.org_id)
            .outerjoin(last, last.c.cell_id == GridCell.id)
            .where(Organization.email.is_not(None), since <= cutoff))


RULES = [
    ReminderRule(code="grid.patrol_due", title=_l("网格巡查提醒"), schedule="0 8 * * 1", query=patrol_due,
                 template="grid/patrol_due.txt", channel="email"),
]
