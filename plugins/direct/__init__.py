"""直管: resident members, managed directly by their community (against 淡管)."""
from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

MODE = Mode(
    key="direct",
    title=_l("直管"),
    categories={"resident": _l("居住地党员")},
    description=_l("社区直接管理的居住地党员：责任区、责任卡、结对帮扶、争五好"),
)


@hookimpl
def wuguan_modes():
    return [MODE]
