"""共管: retired members, the community first and the former unit second (against 软管)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

from . import models  # noqa: F401  (the tables must be mapped whenever the plugin is loaded)

MODE = Mode(
    key="joint",
    title=_l("共管"),
    categories={"retired": _l("离退休党员")},
    description=_l("社区为主、原单位为辅共同管理的离退休党员：走访慰问、困难帮扶"),
)

SETTINGS = {
    "priority_age": 80,            # aged this or more: visited more often, birthday visits
    "priority_visit_days": 90,     # the old, the poor in health and the bedridden: a visit at least this often
    "visit_days": 365,             # any retiree: a visit at least this often
    "hardship_action_days": 30,    # an open hardship with no action after this many days is a finding
    "birthday_notice_days": 7,     # remind the community this many days before a birthday visit
    "festival_notice_days": 14,    # remind the community this many days before 春节 and 重阳节
}


@hookimpl
def wuguan_modes():
    return [MODE]


@hookimpl
def wuguan_settings():
    return dict(SETTINGS)


@hookimpl
def wuguan_migrations():
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def wuguan_admin_views(admin):
    from .views import add_views
    add_views(admin)


@hookimpl
def wuguan_member_panels(member):
    if member.category != "retired":
        return []
    from .views import panel
    return [panel(member)]


@hookimpl
def wuguan_checks():
    from .checks import CHECKS
    return CHECKS


@hookimpl
def wuguan_reminder_rules():
    from .reminders import RULES
    return RULES


@hookimpl
def wuguan_indicators():
    from .indicators import INDICATORS
    return INDICATORS


@hookimpl
def wuguan_bulletin_sections(ctx):
    from .bulletin import sections
    return sections(ctx)


@hookimpl
def wuguan_demo_data(session, demo):
    from .demo import load
    load(session, demo)
