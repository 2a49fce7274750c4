"""接管's indicators: members taken over, trainings, referrals, and the re-employment rate."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from core.plugin_api import Indicator, Member

from .models import Referral, TakeoverRecord, Training

LEVELS = ("community", "street")


def _within(column, period):
    return and_(column >= period.start, column < period.end)


def _dated(model, column):
    def query(ctx):
        return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value")).select_from(model)
                             .join(Member, Member.id == model.member_id).where(_within(column, ctx.period))
                             ).group_by(ctx.scope_id)
    return query


def reemployment_rate(ctx):
    """Hires this period per referral made this period (as the section has always put it)."""
    hired_on = func.coalesce(Referral.outcome_on, Referral.referred_on)
    hired = and_(Referral.outcome == "hired", _within(hired_on, ctx.period))
    return ctx.by_member(select(ctx.scope_id.label("scope_id"),
                                func.sum(case((hired, 1), else_=0)).label("numerator"),
                                func.sum(case((_within(Referral.referred_on, ctx.period), 1), else_=0))
                                .label("denominator"))
                         .select_from(Referral).join(Member, Member.id == Referral.member_id)).group_by(ctx.scope_id)


INDICATORS = [
    Indicator("takeover.new", _l("新接管"), _l("名"), LEVELS, _dated(TakeoverRecord, TakeoverRecord.taken_over_on)),
    Indicator("takeover.trainings", _l("技能培训"), _l("人次"), LEVELS, _dated(Training, Training.starts_on)),
    Indicator("takeover.referrals", _l("就业推荐"), _l("人次"), LEVELS, _dated(Referral, Referral.referred_on)),
    Indicator("takeover.reemployment_rate", _l("再就业率"), "%", LEVELS, reemployment_rate),
]
