"""双管: in-service members, managed by their employer and by the community they live in (against 松管)."""
from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

MODE = Mode(
    key="dual",
    title=_l("双管"),
    categories={"in_service": _l("在职党员")},
    description=_l("单位和社区共同管理的在职党员：到社区报到、设岗定责、双向反馈"),
)


@hookimpl
def wuguan_modes():
    return [MODE]
