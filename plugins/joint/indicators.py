"""共管's indicators: retirees, care visits this period, hardships resolved and still open."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from core.plugin_api import Indicator, Member

from .models import JointHardship, JointVisit

LEVELS = ("community", "street")


def _retirees():
    return and_(Member.category == "retired", Member.state == "active")


def _between(column, period):
    return and_(column >= period.start, column < period.end)


def _count(ctx, model, *conditions):
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value")).select_from(model)
                         .join(Member, Member.id == model.member_id).where(_retirees(), *conditions)
                         ).group_by(ctx.scope_id)


def retirees(ctx):
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value")).select_from(Member)
                         .where(_retirees())).group_by(ctx.scope_id)


def visits(ctx):
    return _count(ctx, JointVisit, _between(JointVisit.visited_on, ctx.period))


def resolved(ctx):
    return _count(ctx, JointHardship, JointHardship.state == "resolved", _between(JointHardship.resolved_on, ctx.period))


def still_open(ctx):
    return _count(ctx, JointHardship, JointHardship.state != "resolved")


INDICATORS = [
    Indicator("joint.retirees", _l("离退休党员"), _l("名"), LEVELS, retirees),
    Indicator("joint.visits", _l("走访人次"), _l("人次"), LEVELS, visits),
    Indicator("joint.hardships_resolved", _l("解决困难"), _l("件"), LEVELS, resolved),
    Indicator("joint.hardships_open", _l("尚未解决困难"), _l("件"), LEVELS, still_open, higher_is_better=False),
]
