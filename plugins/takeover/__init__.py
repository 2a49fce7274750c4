"""接管: members who lost the organization that held them, taken over by a branch near them (against 漏管)."""
from flask_babel import lazy_gettext as _l

from core.plugin_api import Mode, hookimpl

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
