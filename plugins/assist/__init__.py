"""协管: mobile members, managed by the outflow and inflow organizations and the member (against 失管)."""
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
