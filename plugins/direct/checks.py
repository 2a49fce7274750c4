"""直管 checks: one set-based SELECT each, labelled subject_id, org_id, detail.

Dates become cut-offs in Python, so the SQL stays portable between SQLite and PostgreSQL.
"""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, exists, func, literal, or_, select

from core.plugin_api import Check, Member, sql_message

from .models import Card, Pairing, Rating, Visit, Zone, ZoneResponsible

CATEGORY = "resident"


def member_org():
    """Where a resident is managed: the community they live in, else the organization that holds them."""
    return func.coalesce(Member.location_id, Member.affiliation_id)


def residents(ctx):
    """Active resident members in the swept scope, narrowed through the indexed organization columns."""
    return and_(Member.category == CATEGORY, Member.state == "active",
                or_(ctx.covers(Member.location_id),
                    and_(Member.location_id.is_(None), ctx.covers(Member.affiliation_id))))


def no_zone(ctx):
    responsible = exists().where(ZoneResponsible.member_id == Member.id)
    has_card = exists().where(Card.member_id == Member.id)
    return (select(Member.id.label("subject_id"), member_org().label("org_id"),
                   literal(_("未负责任何党员责任区，也未领取责任卡")).label("detail"))
            .where(residents(ctx), ~responsible, ~has_card))


def zone_unstaffed(ctx):
    staffed = (exists().where(ZoneResponsible.zone_id == Zone.id, ZoneResponsible.member_id == Member.id,
                              Member.state == "active"))
    return (select(Zone.id.label("subject_id"), Zone.community_id.label("org_id"),
                   sql_message(_("责任区“%(zone)s”没有在册的责任党员"), zone=Zone.name).label("detail"))
            .where(ctx.covers(Zone.community_id), ~staffed))


def renewal_year(ctx):
    """The year a card must be valid for: this year once the grace days into January are over."""
    grace = dt.timedelta(days=ctx.settings["card_renewal_grace_days"])
    return ctx.today.year if ctx.today >= dt.date(ctx.today.year, 1, 1) + grace else ctx.today.year - 1


def card_expired(ctx):
    year = renewal_year(ctx)
    last = (select(Card.member_id, func.max(Card.year).label("last_year"))
            .group_by(Card.member_id).subquery())
    return (select(Member.id.label("subject_id"), member_org().label("org_id"),
                   sql_message(_("责任卡有效期至%(last)s年，未换发%(year)s年度责任卡"), last=last.c.last_year,
                               year=year).label("detail"))
            .join(last, last.c.member_id == Member.id)
            .where(residents(ctx), last.c.last_year < year))


def last_visits():
    """Each pairing's latest visit, as a subquery (pairing_id, last_visit)."""
    return (select(Visit.pairing_id, func.max(Visit.visited_on).label("last_visit"))
            .group_by(Visit.pairing_id).subquery())


def active_pairings(today):
    return and_(Pairing.started_on <= today, or_(Pairing.ended_on.is_(None), Pairing.ended_on >= today))


def pairing_no_visit(ctx):
    days = ctx.settings["visit_overdue_days"]
    cutoff = ctx.today - dt.timedelta(days=days)
    last = last_visits()
    since = func.coalesce(last.c.last_visit, Pairing.started_on)
    detail = sql_message(_("与%(household)s户结对帮扶，自%(since)s起已超过%(n)s天未走访"),
                         household=Pairing.household_name, since=since, n=days)
    return (select(Pairing.id.label("subject_id"), member_org().label("org_id"), detail.label("detail"))
            .join(Member, Member.id == Pairing.member_id)
            .outerjoin(last, last.c.pairing_id == Pairing.id)
            .where(Member.state == "active", or_(ctx.covers(Member.location_id),
                                                and_(Member.location_id.is_(None),
                                                     ctx.covers(Member.affiliation_id))),
                   active_pairings(ctx.today), since < cutoff))


def rating_year(ctx):
    """The latest year whose rating deadline has passed, and that deadline."""
    month, day = (int(part) for part in ctx.settings["rating_deadline"].split("-"))
    deadline = dt.date(ctx.today.year, month, day)
    if ctx.today <= deadline:
        deadline = dt.date(ctx.today.year - 1, month, day)
    return deadline.year, deadline


def rating_missing(ctx):
    year, deadline = rating_year(ctx)
    rated = exists().where(Rating.member_id == Member.id, Rating.year == year)
    return (select(Member.id.label("subject_id"), member_org().label("org_id"),
                   literal(_("%(year)s年度争五好评定截止日%(d)s已过，尚未评定", year=year,
                             d=deadline.isoformat())).label("detail"))
            .where(residents(ctx), Member.joined_on <= deadline, ~rated))


CHECKS = [
    Check(code="direct.no_zone", title=_l("未划入责任区且无责任卡"), severity="warning", query=no_zone,
          description=_l("居住地党员既不负责任何党员责任区，也没有责任卡（淡管）")),
    Check(code="direct.zone_unstaffed", title=_l("责任区无在册责任党员"), severity="warning",
          query=zone_unstaffed, subject="direct_zone",
          description=_l("党员责任区没有一名在册的责任党员")),
    Check(code="direct.card_expired", title=_l("责任卡未换发"), severity="info", query=card_expired,
          description=_l("党员的责任卡没有换发本年度的新卡")),
    Check(code="direct.pairing_no_visit", title=_l("结对帮扶长期未走访"), severity="warning",
          query=pairing_no_visit, subject="direct_pairing",
          description=_l("在帮的结对帮扶超过规定天数（默认60天）没有走访记录")),
    Check(code="direct.rating_missing", title=_l("未评定争五好"), severity="warning", query=rating_missing,
          description=_l("年度争五好评定截止后，居住地党员仍没有评定结果")),
]
