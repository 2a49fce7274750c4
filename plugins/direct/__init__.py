"""直管: resident members, managed directly by their community (against 淡管).

Responsibility zones (党员责任区), responsibility cards (责任卡) with the five roles, pairings with
households in need (结对帮扶) and their visits, and the yearly 争五好 rating.
"""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

from . import models  # noqa: F401  (the tables, on the one metadata)

MODE = Mode(
    key="direct",
    title=_l("直管"),
    categories={"resident": _l("居住地党员")},
    description=_l("社区直接管理的居住地党员：责任区、责任卡、结对帮扶、争五好"),
)

SETTINGS = {
    "visit_overdue_days": 60,       # direct.pairing_no_visit: an active pairing without a visit this long
    "visit_due_days": 45,           # the reminder: a visit falls due this long after the last one
    "card_renewal_grace_days": 31,  # direct.card_expired: days into the new year before last year's card counts
    "rating_deadline": "12-31",     # direct.rating_missing: MM-DD by which a year's 争五好 rating is due
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
    add_views(admin, MODE.title)


@hookimpl
def wuguan_member_panels(member):
    from .views import member_panel
    return [member_panel(member)]


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
    from .demo import fill
    fill(session, demo)
