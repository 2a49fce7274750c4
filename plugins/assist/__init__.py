"""协管: mobile members, managed by the outflow and inflow organizations and the member (against 失管)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

MODE = Mode(
    key="assist",
    title=_l("协管"),
    categories={"mobile_in": _l("流入党员"), "mobile_out": _l("流出党员")},
    description=_l("流出地、流入地党组织和党员本人三方协同管理的流动党员：联系记录、活动证、二卡三簿"),
)


@hookimpl
def wuguan_modes():
    return [MODE]


@hookimpl
def wuguan_settings():
    return {
        "member_contact_days": 90,          # assist.no_contact: with the member
        "org_contact_days": 180,            # assist.no_contact: with the other side's organization
        "contact_notice_days": 7,           # remind this many days before a contact is due
        "card_notice_days": 30,             # remind before a 活动证 expires
        "lost_contact_days": 180,           # no contact with the member this long: lost contact (失联)
        "temp_branch_min_members": 3,       # 3 or more at a station may form a 临时党支部
        "yearly_report_check_from_month": 1,   # assist.yearly_report_missing from this month of the year
        "yearly_report_remind_from_month": 10,  # assist.yearly_report_due from this month of the year
    }


@hookimpl
def wuguan_migrations():
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def wuguan_admin_views(admin):
    from .views import add_views
    add_views(admin)


@hookimpl
def wuguan_member_panels(member):
    from .panel import panel
    return panel(member)


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
    if ctx.kind == "employer":
        return []
    from flask import current_app
    from .bulletin import section
    found = section(ctx, current_app.config["PLUGINS"]["assist"])
    return [found] if found else []


@hookimpl
def wuguan_demo_data(session, demo):
    from .demo import load
    load(session, demo)
