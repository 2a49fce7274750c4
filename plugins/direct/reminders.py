"""直管 reminders: a pairing visit falls due (to the helper by their own channel, the e-mail on their 责任卡
standing in for a missing one; and in-app to the community's staff), and in
January the cards to renew (in-app to the community's staff). The dedup keys name what makes a reminder
new: the pairing and the date its clock started from, the year, the recipient."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, func, literal, select

from core.plugin_api import Member, Organization, ReminderRule, Staff, member_address

from .checks import active_pairings, last_visits
from .models import Card, Pairing

CATEGORY = "resident"


def _due_pairings(ctx):
    """(pairing, member, since) of active pairings whose next visit is due by the reminder's threshold."""
    cutoff = ctx.today - dt.timedelta(days=ctx.settings["visit_due_days"])
    last = last_visits()
    since = func.coalesce(last.c.last_visit, Pairing.started_on)
    base = (select(Pairing.id.label("pairing_id"), since.label("since"))
            .outerjoin(last, last.c.pairing_id == Pairing.id)
            .where(active_pairings(ctx.today), since <= cutoff)).subquery()
    return base


def _key(*parts):
    expression = literal("visit")
    for part in parts:
        expression = expression + literal(":") + cast(part, String)
    return expression


def visit_due(ctx):
    due = _due_pairings(ctx)
    community = Organization
    card_email = (select(func.max(Card.email)).where(Card.member_id == Member.id, Card.email.is_not(None))
                  .correlate(Member).scalar_subquery())
    to = member_address(email=func.coalesce(Member.email, card_email))
    return to.join(
        select(to.recipient.label("recipient"), to.channel.label("channel"),
               (_key(Pairing.id, due.c.since) + to.dedup_suffix).label("dedup_key"),
               Member.location_id.label("org_id"), community.name.label("community"),
               Member.name.label("name"), Pairing.household_name.label("household"),
               due.c.since.label("since"), literal(ctx.settings["visit_due_days"]).label("days"))
        .select_from(due).join(Pairing, Pairing.id == due.c.pairing_id)
        .join(Member, Member.id == Pairing.member_id)
        .join(community, community.id == Member.location_id))\
        .where(to.reachable, Member.state == "active")


def visit_due_staff(ctx):
    due = _due_pairings(ctx)
    return (select(Staff.username.label("recipient"),
                   _key(Pairing.id, due.c.since, Staff.username).label("dedup_key"),
                   Member.location_id.label("org_id"), Organization.name.label("community"),
                   Member.name.label("name"), Pairing.household_name.label("household"),
                   due.c.since.label("since"), literal(ctx.settings["visit_due_days"]).label("days"))
            .select_from(due).join(Pairing, Pairing.id == due.c.pairing_id)
            .join(Member, Member.id == Pairing.member_id)
            .join(Organization, Organization.id == Member.location_id)
            .join(Staff, and_(Staff.org_id == Member.location_id, Staff.active.is_(True)))
            .where(Member.state == "active"))


def cards_to_renew(ctx):
    year = ctx.today.year
    last = (select(Card.member_id, func.max(Card.year).label("last_year")).group_by(Card.member_id).subquery())
    per_community = (select(Member.location_id.label("org_id"), func.count().label("count"))
                     .join(last, last.c.member_id == Member.id)
                     .where(Member.category == CATEGORY, Member.state == "active", Member.location_id.is_not(None),
                            last.c.last_year < year)
                     .group_by(Member.location_id)).subquery()
    return (select(Staff.username.label("recipient"),
                   (literal("renew:") + cast(literal(year), String) + literal(":")
                    + cast(per_community.c.org_id, String) + literal(":") + Staff.username).label("dedup_key"),
                   per_community.c.org_id.label("org_id"), Organization.name.label("community"),
                   per_community.c.count.label("count"), literal(year).label("year"))
            .select_from(per_community)
            .join(Organization, Organization.id == per_community.c.org_id)
            .join(Staff, and_(Staff.org_id == per_community.c.org_id, Staff.active.is_(True))))


RULES = [
    ReminderRule(code="direct.visit_due", title=_l("结对帮扶走访提醒"), schedule="0 9 * * 1",
                 query=visit_due, template="direct/visit_due.txt", channel="email"),
    ReminderRule(code="direct.visit_due_staff", title=_l("结对帮扶走访提醒（社区工作人员）"), schedule="0 9 * * 1",
                 query=visit_due_staff, template="direct/visit_due_staff.txt", channel="inbox"),
    ReminderRule(code="direct.cards_to_renew", title=_l("责任卡换发提醒"), schedule="0 9 5 1 *",
                 query=cards_to_renew, template="direct/cards_to_renew.txt", channel="inbox"),
]
