"""接管: members who lost the organization that held them, taken over by a branch near them (against 漏管)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

from . import models  # noqa: F401  (the tables belong to the one MetaData from import on)

MODE = Mode(
    key="takeover",
    title=_l("接管"),
    categories={
        "laid_off": _l("下岗待岗党员"),
        "contract_ended": _l("解除劳动合同党员"),
        "demobilized": _l("未安置复转军人党员"),
        "graduate": _l("未就业大中专毕业生党员"),
    },
    description=_l("社区党组织接管的失业党员：就近编入支部、五个一、技能培训和就业推荐"),
)


@hookimpl
def wuguan_modes():
    return [MODE]


@hookimpl
def wuguan_settings():
    from .settings import DEFAULTS
    return dict(DEFAULTS)


@hookimpl
def wuguan_migrations():
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def wuguan_admin_views(admin):
    from .views import add_views
    add_views(admin)


@hookimpl
def wuguan_member_panels(member):
    from .panels import member_panels
    return member_panels(member)


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
    from .bulletin import section
    found = section(ctx)
    return [found] if found else []


@hookimpl
def wuguan_demo_data(session, demo):
    from .demo import load
    load(session, demo)
