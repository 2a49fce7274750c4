"""共管 reminders: birthday visits for the old, festival visits before 春节 and 重阳节, hardships without action."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, case, cast, extract, func, literal, or_, select

from core.plugin_api import Member, Organization, ReminderRule

from .checks import hardships_without_action, is_priority, member_org
from .models import JointHardship, JointProfile

# 春节 (正月初一) and 重阳节 (九月初九) in the Gregorian calendar, from the lunar calendar
# (checked against the `lunardate` library; chinese-calendar knows holidays, not lunar dates).
FESTIVALS = {
    2020: (dt.date(2020, 1, 25), dt.date(2020, 10, 25)),
    2021: (dt.date(2021, 2, 12), dt.date(2021, 10, 14)),
    2022: (dt.date(2022, 2, 1), dt.date(2022, 10, 4)),
    2023: (dt.date(2023, 1, 22), dt.date(2023, 10, 23)),
    2024: (dt.date(2024, 2, 10), dt.date(2024, 10, 11)),
    2025: (dt.date(2025, 1, 29), dt.date(2025, 10, 29)),
    2026: (dt.date(2026, 2, 17), dt.date(2026, 10, 18)),
    2027: (dt.date(2027, 2, 6), dt.date(2027, 10, 8)),
    2028: (dt.date(2028, 1, 26), dt.date(2028, 10, 26)),
    2029: (dt.date(2029, 2, 13), dt.date(2029, 10, 16)),
    2030: (dt.date(2030, 2, 3), dt.date(2030, 10, 5)),
    2031: (dt.date(2031, 1, 23), dt.date(2031, 10, 24)),
    2032: (dt.date(2032, 2, 11), dt.date(2032, 10, 12)),
    2033: (dt.date(2033, 1, 31), dt.date(2033, 10, 1)),
    2034: (dt.date(2034, 2, 19), dt.date(2034, 10, 20)),
    2035: (dt.date(2035, 2, 8), dt.date(2035, 10, 9)),
    2036: (dt.date(2036, 1, 28), dt.date(2036, 10, 27)),
    2037: (dt.date(2037, 2, 15), dt.date(2037, 10, 17)),
    2038: (dt.date(2038, 2, 4), dt.date(2038, 10, 7)),
    2039: (dt.date(2039, 1, 24), dt.date(2039, 10, 26)),
    2040: (dt.date(2040, 2, 12), dt.date(2040, 10, 14)),
}
FESTIVAL_NAMES = {"spring": _l("春节"), "chongyang": _l("重阳节")}


def festival_dates(year):
    """{"spring": date, "chongyang": date} for `year`; {} past the table."""
    dates = FESTIVALS.get(year)
    return dict(zip(("spring", "chongyang"), dates)) if dates else {}


def upcoming_festival(today, notice_days):
    """(key, date) of the festival within `notice_days` from today (inclusive), or None."""
    for year in (today.year, today.year + 1):
        for key, day in sorted(festival_dates(year).items(), key=lambda item: item[1]):
            if today <= day <= today + dt.timedelta(days=notice_days):
                return key, day
    return None


def _community_email():
    return Organization.email


def birthday_visits(ctx):
    """Retirees who turn `priority_age` or more within the notice period, to their community."""
    age = ctx.settings["priority_age"]
    days = [ctx.today + dt.timedelta(days=n) for n in range(ctx.settings["birthday_notice_days"] + 1)]
    month, day_of_month = extract("month", Member.birth_date), extract("day", Member.birth_date)
    birth_year = cast(extract("year", Member.birth_date), Integer)
    whens = []
    for day in days:
        on_day = and_(month == day.month, day_of_month == day.day)
        if day.month == 2 and day.day == 28 and not _leap(day.year):
            on_day = or_(on_day, and_(month == 2, day_of_month == 29))  # 29 February kept on the 28th
        whens.append((and_(on_day, birth_year <= day.year - age), day))
    birthday = case(*[(cond, literal(day.isoformat())) for cond, day in whens])
    birthday_year = case(*[(cond, literal(day.year)) for cond, day in whens])
    return (select(Organization.email.label("recipient"),
                   (literal("birthday:") + cast(Member.id, String) + literal(":") + cast(birthday_year, String))
                   .label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   Member.name.label("name"), Member.phone.label("phone"), Member.address.label("address"),
                   birthday.label("birthday"), (birthday_year - birth_year).label("age"))
            .join(Organization, Organization.id == member_org())
            .where(Member.category == "retired", Member.state == "active", Organization.email.is_not(None),
                   or_(*(cond for cond, _ in whens))))


def _leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def festival_visits(ctx):
    """Before 春节 and 重阳节: each community gets one list of whom to visit (the old and the frail)."""
    found = upcoming_festival(ctx.today, ctx.settings["festival_notice_days"])
    if found is None:
        return select(literal("").label("recipient"), literal("").label("dedup_key")).where(literal(False))
    key, day = found
    return (select(Organization.email.label("recipient"),
                   (literal(f"festival:{key}:{day.year}:") + cast(Organization.id, String)).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   literal(str(FESTIVAL_NAMES[key])).label("festival"), literal(day.isoformat()).label("festival_on"),
                   func.count(Member.id).label("count"),
                   func.aggregate_strings(Member.name, "、").label("names"))
            .select_from(Member)
            .outerjoin(JointProfile, JointProfile.member_id == Member.id)
            .join(Organization, Organization.id == member_org())
            .where(Member.category == "retired", Member.state == "active", Organization.email.is_not(None),
                   is_priority(ctx))
            .group_by(Organization.id, Organization.email, Organization.name))


def hardship_reminders(ctx):
    """Hardships still without an action after `hardship_action_days`, to the community, once a month each."""
    month = ctx.today.strftime("%Y-%m")
    return (select(Organization.email.label("recipient"),
                   (literal("hardship:") + cast(JointHardship.id, String) + literal(f":{month}")).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   Member.name.label("name"), JointHardship.kind.label("kind"),
                   JointHardship.reported_on.label("reported_on"),
                   literal(ctx.settings["hardship_action_days"]).label("days"))
            .join(Member, Member.id == JointHardship.member_id)
            .join(Organization, Organization.id == member_org())
            .where(hardships_without_action(ctx), Member.state == "active", Organization.email.is_not(None)))


RULES = [
    ReminderRule(code="joint.birthday_visit", title=_l("高龄离退休党员生日走访提醒"), schedule="0 9 * * 1-5",
                 query=birthday_visits, template="joint/birthday_visit.txt", channel="email"),
    ReminderRule(code="joint.festival_visit", title=_l("春节、重阳节走访慰问提醒"), schedule="0 9 * * 1-5",
                 query=festival_visits, template="joint/festival_visit.txt", channel="email"),
    ReminderRule(code="joint.hardship_no_action", title=_l("困难未采取措施提醒"), schedule="30 9 * * 1",
                 query=hardship_reminders, template="joint/hardship_no_action.txt", channel="email"),
]
