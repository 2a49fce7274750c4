"""共管: retired members, the community first and the former unit second (against 软管)."""
from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

MODE = Mode(
    key="joint",
    title=_l("共管"),
    categories={"retired": _l("离退休党员")},
    description=_l("社区为主、原单位为辅共同管理的离退休党员：走访慰问、困难帮扶"),
)


@hookimpl
def wuguan_modes():
    return [MODE]
