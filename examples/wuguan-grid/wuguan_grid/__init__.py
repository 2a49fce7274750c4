"""网格化管理: a sixth management mode, written as a third party writes one.

A community is divided into grid cells (网格) of a few buildings, each walked by a grid
worker (网格员). Members with no fixed unit (category `grid_member`: couriers, ride-hailing
drivers and other 新就业群体) are managed through the cell they live in, and every patrol or
visit is recorded, so that nobody in a cell is forgotten.
"""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.plugin_api import Mode, Panel, db, hookimpl

from . import bulletin, checks, demo as demo_data, reminders, views
from .models import GridAssignment, GridCell, GridPatrol

__all__ = ["GridAssignment", "GridCell", "GridPatrol"]

MODE = Mode(
    key="grid",
    title=_l("网格管"),
    categories={checks.CATEGORY: _l("网格党员")},
    description=_l("以居住网格为单元、由网格员联系管理的党员，如快递员、网约车司机等新就业群体"),
    activity_kinds={"grid_patrol": _l("网格巡查")},
)


@hookimpl
def wuguan_modes():
    return [MODE]


@hookimpl
def wuguan_settings():
    return {"patrol_every_days": 30, "notice_days": 7}


@hookimpl
def wuguan_migrations():
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def wuguan_admin_views(admin):
    views.add_views(admin)


@hookimpl
def wuguan_member_panels(member):
    assignment = db.session.scalar(select(GridAssignment).where(GridAssignment.member_id == member.id))
    visits = db.session.scalars(select(GridPatrol).where(GridPatrol.member_id == member.id)
                                .order_by(GridPatrol.patrolled_on.desc()).limit(5)).all()
    if assignment is None and member.category != checks.CATEGORY:
        return []
    return [Panel(title=_l("网格"), template="grid/panel.html",
                  context={"assignment": assignment, "visits": visits}, order=60)]


@hookimpl
def wuguan_checks():
    return checks.CHECKS


@hookimpl
def wuguan_reminder_rules():
    return reminders.RULES


@hookimpl
def wuguan_bulletin_sections(ctx):
    return bulletin.cells_section(ctx)


@hookimpl
def wuguan_demo_data(session, demo):
    demo_data.load(session, demo)
