"""接管's reminders: staff are told whom to assign and who is behind on the 五个一; members themselves, by
their own channel (core's `member_address`), that their thought report is due."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, func, literal, select

from core.plugin_api import Member, Organization, ReminderRule, member_address

from .checks import five_ones_done, taken_over, unassigned_since
from .models import CATEGORIES, FIVE_ONES, FiveOnes, TakeoverRecord


def assign_due(ctx):
    """Communities: members whose relationship arrived `assign_remind_days` ago and have no branch yet."""
    return (select(Organization.email.label("recipient"),
                   (literal("assign:") + cast(Member.id, String)).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   Member.name.label("name"), Member.building.label("building"))
            .join(Organization, Organization.id == Member.location_id)
            .where(Organization.email.is_not(None), unassigned_since(ctx, ctx.settings["assign_remind_days"])))


def _phase(ctx):
    """Before October the mid-year target counts; from October (Q4) all five."""
    if ctx.today.month >= 10:
        return "q4", len(FIVE_ONES)
    return "mid", ctx.settings["five_ones_midyear_min"]


def five_ones_behind(ctx):
    phase, required = _phase(ctx)
    done = five_ones_done()
    return (select(Organization.email.label("recipient"),
                   (literal(f"five:{ctx.today.year}:{phase}:") + cast(Member.id, String)).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   Member.name.label("name"), done.label("done"), literal(required).label("required"),
                   literal(ctx.today.year).label("year"))
            .select_from(Member)
            .join(Organization, Organization.id == Member.location_id)
            .outerjoin(FiveOnes, and_(FiveOnes.member_id == Member.id, FiveOnes.year == ctx.today.year))
            .where(Organization.email.is_not(None), taken_over(ctx), done < required))


def thought_report_due(ctx):
    """A member in an assigned branch who has not made this year's thought report, told to make it to the branch."""
    branch = (select(func.max(TakeoverRecord.branch_id)).where(TakeoverRecord.member_id == Member.id)
              .correlate(Member).scalar_subquery())
    to = member_address()
    return to.join(
        select(to.recipient.label("recipient"), to.channel.label("channel"),
               (literal(f"thought:{ctx.today.year}:") + cast(Member.id, String) + to.dedup_suffix).label("dedup_key"),
               Organization.id.label("org_id"), Organization.name.label("org_name"),
               Member.name.label("name"), literal(ctx.today.year).label("year"))
        .select_from(Member)
        .join(Organization, Organization.id == branch)
        .outerjoin(FiveOnes, and_(FiveOnes.member_id == Member.id, FiveOnes.year == ctx.today.year)))\
        .where(to.reachable, Member.state == "active", Member.category.in_(CATEGORIES),
               FiveOnes.thought_report_on.is_(None))


RULES = [
    ReminderRule(code="takeover.assign_due", title=_l("接管党员待编入支部提醒"), schedule="0 9 * * 1",
                 query=assign_due, template="takeover/assign_due.txt"),
    ReminderRule(code="takeover.five_ones_behind", title=_l("“五个一”进度提醒"), schedule="0 9 1 6,10 *",
                 query=five_ones_behind, template="takeover/five_ones_behind.txt"),
    ReminderRule(code="takeover.thought_report_due", title=_l("思想汇报提醒"), schedule="0 9 1 9 *",
                 query=thought_report_due, template="takeover/thought_report_due.txt"),
]
