"""双管: in-service members, managed by their employer and by the community they live in (against 松管)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

MODE = Mode(
    key="dual",
    title=_l("双管"),
    categories={"in_service": _l("在职党员")},
    description=_l("单位和社区共同管理的在职党员：到社区报到、设岗定责、双向反馈"),
    activity_kinds={"dual_meeting": _l("在职党员定期例会")},
)


@hookimpl
def wuguan_modes():
    return [MODE]


@hookimpl
def wuguan_settings():
    from .rules import DEFAULTS
    return dict(DEFAULTS)


@hookimpl
def wuguan_migrations():
    return Path(__file__).parent / "migrations" / "versions"


@hookimpl
def wuguan_admin_views(admin):
    from . import views
    views.register(admin)


@hookimpl
def wuguan_blueprints(app):
    """The public self-service form (自助报到), outside the admin."""
    from . import public
    app.register_blueprint(public.bp)


@hookimpl
def wuguan_member_panels(member):
    from .panel import panels
    return panels(member)


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
def wuguan_cli(cli):
    from .imports import register_cli
    register_cli(cli)


@hookimpl
def wuguan_demo_data(session, demo):
    from .demo import load
    load(session, demo)
