"""接管's checks: each one SELECT over all members, labelled subject_id, org_id, detail."""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select, true

from core.plugin_api import Activity, Attendance, Check, Member, Transfer, add_months, sql_message

from .models import CATEGORIES, FIVE_ONES, FiveOnes, Referral, TakeoverRecord


def member_org():
    """Where a member is managed: the community they live in, else the organization holding them."""
    return func.coalesce(Member.location_id, Member.affiliation_id)


def taken_over(ctx):
    """Active members of this mode's categories in the swept scope (a reminder's context has none: the city)."""
    covers = getattr(ctx, "covers", lambda column: true())
    return and_(Member.state == "active", Member.category.in_(CATEGORIES),
                or_(covers(Member.location_id), and_(Member.location_id.is_(None), covers(Member.affiliation_id))))


def arrived_on():
    """When the member's relationship arrived: the latest received letter into here, else the takeover record's
    date; None when neither is known (the member row's creation time stands in then)."""
    received = (select(func.max(Transfer.received_on))
                .where(Transfer.member_id == Member.id, Transfer.direction.in_(("in", "internal")),
                       Transfer.received_on.is_not(None))
                .correlate(Member).scalar_subquery())
    recorded = (select(func.max(TakeoverRecord.arrived_on)).where(TakeoverRecord.member_id == Member.id)
                .correlate(Member).scalar_subquery())
    return func.coalesce(received, recorded)


def assigned():
    return exists().where(TakeoverRecord.member_id == Member.id, TakeoverRecord.branch_id.is_not(None))


def unassigned_since(ctx, days):
    """Members without a branch whose relationship arrived at least `days` days before ctx.today."""
    cutoff = ctx.today - dt.timedelta(days=days)
    arrival = arrived_on()
    return and_(taken_over(ctx), ~assigned(),
                or_(arrival <= cutoff,
                    and_(arrival.is_(None), Member.created_at < dt.datetime.combine(cutoff, dt.time()))))


def not_assigned(ctx):
    days = ctx.settings["assign_within_days"]
    return (select(Member.id.label("subject_id"), member_org().label("org_id"),
                   literal(_("组织关系转入已满%(n)d天，仍未编入党支部（漏管）", n=days)).label("detail"))
            .where(unassigned_since(ctx, days)))


def pocket_member(ctx):
    letter = (select(func.min(Transfer.letter_no))
              .where(Transfer.member_id == Member.id, Transfer.direction.in_(("in", "internal")),
                     Transfer.state == "issued", Transfer.valid_until < ctx.today)
              .correlate(Member).scalar_subquery())
    months = ctx.settings["pocket_months"]
    since = add_months(ctx.today, -months)
    attended = exists().where(Attendance.member_id == Member.id, Attendance.present.is_(True),
                              Attendance.activity_id == Activity.id, Activity.held_on >= since)
    idle = and_(Member.affiliation_id.is_not(None), ~attended)
    detail = case((letter.is_not(None), sql_message(_("转入介绍信%(letter)s已开具，过期仍未接收（口袋党员）"),
                                                    letter=letter)),
                  else_=literal(_("组织关系在本社区，但%(n)d个月未参加组织生活（挂名党员）", n=months)))
    return (select(Member.id.label("subject_id"), member_org().label("org_id"), detail.label("detail"))
            .where(taken_over(ctx), or_(letter.is_not(None), idle)))


def five_ones_done():
    return sum((case((getattr(FiveOnes, f"{key}_on").is_not(None), 1), else_=0) for key, _t in FIVE_ONES),
               literal(0))


def five_ones_required(ctx):
    """How many of the 五个一 must be done by ctx.today: 0 before mid-year, then the mid-year number, all by 31 Dec."""
    month, day = (int(x) for x in ctx.settings["five_ones_midyear"].split("-"))
    if ctx.today >= dt.date(ctx.today.year, 12, 31):
        return len(FIVE_ONES)
    if ctx.today >= dt.date(ctx.today.year, month, day):
        return ctx.settings["five_ones_midyear_min"]
    return 0


def five_ones_behind(ctx):
    required = five_ones_required(ctx)
    done = func.coalesce(five_ones_done(), 0)
    query = (select(Member.id.label("subject_id"), member_org().label("org_id"),
                    sql_message(_("%(y)s年“五个一”完成%(done)s项，应至少完成%(n)s项"), y=ctx.today.year,
                                done=done, n=required).label("detail"))
             .select_from(Member)
             .outerjoin(FiveOnes, and_(FiveOnes.member_id == Member.id, FiveOnes.year == ctx.today.year))
             .where(taken_over(ctx)))
    return query.where(done < required) if required else query.where(literal(False))


def employed_not_reclassified(ctx):
    days = ctx.settings["reclassify_within_days"]
    cutoff = ctx.today - dt.timedelta(days=days)
    hired = (select(func.min(func.coalesce(Referral.outcome_on, Referral.referred_on)))
             .where(Referral.member_id == Member.id, Referral.outcome == "hired")
             .correlate(Member).scalar_subquery())
    return (select(Member.id.label("subject_id"), member_org().label("org_id"),
                   sql_message(_("已于%(day)s经推荐就业，超过%(n)s天仍未调整党员类别"), day=hired, n=days)
                   .label("detail"))
            .where(taken_over(ctx), hired <= cutoff))


CHECKS = [
    Check(code="takeover.not_assigned", title=_l("接管党员未编入支部（漏管）"), severity="serious",
          query=not_assigned,
          description=_l("下岗、解除合同、未安置复转军人、未就业毕业生党员，组织关系转入30天后仍未编入党支部")),
    Check(code="takeover.pocket_member", title=_l("口袋党员、挂名党员"), severity="serious", query=pocket_member,
          description=_l("转入介绍信已开具但过期未接收，或组织关系在本社区却6个月未参加组织生活")),
    Check(code="takeover.five_ones_behind", title=_l("“五个一”进度落后"), severity="warning",
          query=five_ones_behind, description=_l("6月30日前“五个一”完成不足2项，12月31日前未全部完成")),
    Check(code="takeover.employed_not_reclassified", title=_l("已就业未调整类别"), severity="warning",
          query=employed_not_reclassified,
          description=_l("经推荐已就业满30天，党员类别仍为接管类别，应转为在职党员或居民党员")),
]
