"""直管's indicators: responsibility zones, valid cards, pairings in force, visits and 争五好 results."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from core.plugin_api import Indicator, Member

from .models import GOODS, Card, Pairing, Rating, Visit, Zone

CATEGORY = "resident"


def _year(ctx):
    return (ctx.period.end - dt.timedelta(days=1)).year


def zones(ctx):
    return ctx.by_org(select(ctx.scope_id.label("scope_id"), func.count().label("value")).select_from(Zone),
                      Zone.community_id).group_by(ctx.scope_id)


def cards_valid(ctx):
    return ctx.by_org(select(ctx.scope_id.label("scope_id"), func.count().label("value")).select_from(Card)
                      .join(Member, Member.id == Card.member_id)
                      .where(Member.state == "active", Card.year == _year(ctx)), Card.community_id).group_by(ctx.scope_id)


def pairings(ctx):
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                         .select_from(Pairing).join(Member, Member.id == Pairing.member_id)
                         .where(Pairing.started_on < ctx.period.end,
                                or_(Pairing.ended_on.is_(None), Pairing.ended_on >= ctx.period.start))
                         ).group_by(ctx.scope_id)


def visits(ctx):
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                         .select_from(Visit).join(Member, Member.id == Visit.member_id)
                         .where(Visit.visited_on >= ctx.period.start, Visit.visited_on < ctx.period.end)
                         ).group_by(ctx.scope_id)


def five_good(ctx):
    all_five = and_(*(getattr(Rating, key).is_(True) for key in GOODS))
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                         .select_from(Rating).join(Member, Member.id == Rating.member_id)
                         .where(Member.category == CATEGORY, Rating.year == _year(ctx), all_five)
                         ).group_by(ctx.scope_id)


LEVELS = ("community", "street")
INDICATORS = [
    Indicator("direct.zones", _l("责任区"), _l("个"), LEVELS, zones),
    Indicator("direct.cards_valid", _l("有效责任卡"), _l("张"), LEVELS, cards_valid),
    Indicator("direct.pairings", _l("在帮结对"), _l("对"), LEVELS, pairings),
    Indicator("direct.visits", _l("本期走访"), _l("次"), LEVELS, visits),
    Indicator("direct.five_good", _l("五好全部达标"), _l("人"), LEVELS, five_good),
]
