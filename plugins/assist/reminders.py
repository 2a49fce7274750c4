"""协管 reminders: contact due, cards expiring, yearly reports due, lost-contact lists for staff.

Each dedup key carries what makes a reminder new (the last contact day, the card's end, the
year, the month), so a reminder is never sent twice for the same situation.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, func, literal, or_, select, union_all

from core.plugin_api import Member, Organization, ReminderRule, db, member_address

from .checks import _Renewal, last_contact, member_org, other_party, reported_this_year, year_start
from .models import Card, Contact, MobileRecord


def _key(*parts):
    expression = literal("")
    for index, part in enumerate(parts):
        if index:
            expression = expression + literal(":")
        expression = expression + (cast(part, String) if hasattr(part, "self_group") else literal(str(part)))
    return expression


def contact_due(ctx):
    """The managing organization, `contact_notice_days` before a contact with the member or the other side is due."""
    notice = dt.timedelta(days=ctx.settings["contact_notice_days"])
    org = Organization
    parts = []
    for party, days, who in (("member", ctx.settings["member_contact_days"], "member"),
                             ("other", ctx.settings["org_contact_days"], "other")):
        condition = Contact.party == "member" if party == "member" else Contact.party == other_party()
        last = func.coalesce(last_contact(condition), MobileRecord.since)
        parts.append(
            select(org.email.label("recipient"),
                   _key("contact", MobileRecord.id, who, last).label("dedup_key"),
                   org.id.label("org_id"), org.name.label("org_name"), Member.name.label("name"),
                   literal(who).label("party"), last.label("last_contact"), literal(days).label("days"),
                   func.coalesce(MobileRecord.other_org_name, literal("")).label("other_org"))
            .select_from(MobileRecord).join(Member, Member.id == MobileRecord.member_id)
            .join(org, org.id == member_org())
            .where(MobileRecord.state == "active", Member.state == "active", org.email.is_not(None),
                   last <= ctx.today - dt.timedelta(days=days) + notice))
    return union_all(*parts)


def card_expiring(ctx):
    soon = ctx.today + dt.timedelta(days=ctx.settings["card_notice_days"])
    renewed = select(_Renewal.id).where(_Renewal.member_id == Card.member_id, _Renewal.id != Card.id,
                                        _Renewal.valid_until > Card.valid_until).exists()
    return (select(Organization.email.label("recipient"), _key("card", Card.id, Card.valid_until).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   Member.name.label("name"), Card.number.label("number"), Card.valid_until.label("valid_until"))
            .join(Member, Member.id == Card.member_id).join(Organization, Organization.id == Card.issuing_org_id)
            .where(Card.returned_on.is_(None), Card.valid_until >= ctx.today, Card.valid_until <= soon, ~renewed,
                   Member.state == "active", Organization.email.is_not(None)))


def yearly_report_due(ctx):
    """From `yearly_report_remind_from_month` on, each outflow member not yet reported this year, by their own
    channel: it is the member who reports to the home organization."""
    if ctx.today.month < ctx.settings["yearly_report_remind_from_month"]:
        return select(literal("").label("recipient"), literal("").label("dedup_key")).where(literal(False))
    to = member_address()
    return to.join(
        select(to.recipient.label("recipient"), to.channel.label("channel"),
               (_key("report", MobileRecord.member_id, ctx.today.year) + to.dedup_suffix).label("dedup_key"),
               Organization.id.label("org_id"), Organization.name.label("org_name"), Member.name.label("name"),
               MobileRecord.place.label("place"), literal(ctx.today.year).label("year"))
        .select_from(MobileRecord).join(Member, Member.id == MobileRecord.member_id)
        .join(Organization, Organization.id == Member.affiliation_id))\
        .where(to.reachable, MobileRecord.state == "active", MobileRecord.direction == "out",
               Member.state == "active", MobileRecord.since < year_start(ctx.today), ~reported_this_year(ctx.today))


def lost_contact_condition(ctx):
    """Lost contact: marked so, or no contact with the member for `lost_contact_days`."""
    last = func.coalesce(last_contact(Contact.party == "member"), MobileRecord.since)
    return and_(Member.state == "active",
                or_(MobileRecord.state == "lost",
                    and_(MobileRecord.state == "active",
                         last < ctx.today - dt.timedelta(days=ctx.settings["lost_contact_days"]))))


def _names(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(column, literal("、"))
    return func.group_concat(column, "、")


def lost_contact_list(ctx):
    """Each community, monthly: its lost-contact mobile members, by name."""
    inner = (select(member_org().label("org_id"), Member.name.label("name"))
             .select_from(MobileRecord).join(Member, Member.id == MobileRecord.member_id)
             .where(lost_contact_condition(ctx)).subquery())
    return (select(Organization.email.label("recipient"),
                   _key("lost", Organization.id, ctx.today.strftime("%Y-%m")).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   func.count().label("count"), _names(inner.c.name).label("names"))
            .join(Organization, Organization.id == inner.c.org_id)
            .where(Organization.email.is_not(None))
            .group_by(Organization.id, Organization.email, Organization.name))


RULES = [
    ReminderRule(code="assist.contact_due", title=_l("流动党员联系提醒"), schedule="0 9 * * 1",
                 query=contact_due, template="assist/contact_due.txt"),
    ReminderRule(code="assist.card_expiring", title=_l("活动证到期提醒"), schedule="0 9 * * *",
                 query=card_expiring, template="assist/card_expiring.txt"),
    ReminderRule(code="assist.yearly_report_due", title=_l("流出党员年度报告提醒"), schedule="0 9 1 * *",
                 query=yearly_report_due, template="assist/yearly_report_due.txt"),
    ReminderRule(code="assist.lost_contact_list", title=_l("失联流动党员名单"), schedule="0 9 1 * *",
                 query=lost_contact_list, template="assist/lost_contact_list.txt"),
]
