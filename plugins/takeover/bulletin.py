"""接管's part of each 通报: members taken over by category, 五个一, trainings, referrals and hires."""
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from core.plugin_api import BulletinSection, Member, db

from .checks import five_ones_done
from .models import CATEGORIES, FIVE_ONES, REASONS, FiveOnes, Referral, TakeoverRecord, Training


def _within(column, period):
    return and_(column >= period.start, column < period.end)


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def _rate(hires, referrals):
    return round(100.0 * hires / referrals, 1) if referrals else 0.0


def section(ctx):
    now, before = ctx.period, ctx.previous
    in_scope = ctx.members_in_scope()
    # 1. Members taken over, by category (this period and the previous one).
    taken = dict((reason, (int(a or 0), int(b or 0))) for reason, a, b in db.session.execute(
        select(TakeoverRecord.reason, _count(_within(TakeoverRecord.taken_over_on, now)),
               _count(_within(TakeoverRecord.taken_over_on, before)))
        .join(Member, Member.id == TakeoverRecord.member_id)
        .where(in_scope, TakeoverRecord.taken_over_on >= before.start, TakeoverRecord.taken_over_on < now.end)
        .group_by(TakeoverRecord.reason)).all())
    # 2. 五个一 of the period's year, for the members this mode manages now.
    year = (now.end - dt.timedelta(days=1)).year
    done = five_ones_done()
    members, complete, half = db.session.execute(
        select(func.count(Member.id), _count(done >= len(FIVE_ONES)), _count(done >= 2))
        .select_from(Member)
        .outerjoin(FiveOnes, and_(FiveOnes.member_id == Member.id, FiveOnes.year == year))
        .where(in_scope, Member.state == "active", Member.category.in_(CATEGORIES))).one()
    members, complete, half = int(members or 0), int(complete or 0), int(half or 0)
    # 3. Trainings started, and completed, in each period.
    t_now, t_before, c_now, c_before = (int(x or 0) for x in db.session.execute(
        select(_count(_within(Training.starts_on, now)), _count(_within(Training.starts_on, before)),
               _count(and_(Training.completed.is_(True), _within(Training.starts_on, now))),
               _count(and_(Training.completed.is_(True), _within(Training.starts_on, before))))
        .join(Member, Member.id == Training.member_id).where(in_scope)).one())
    # 4. Referrals made, and hires, in each period.
    hired_on = func.coalesce(Referral.outcome_on, Referral.referred_on)
    r_now, r_before, h_now, h_before = (int(x or 0) for x in db.session.execute(
        select(_count(_within(Referral.referred_on, now)), _count(_within(Referral.referred_on, before)),
               _count(and_(Referral.outcome == "hired", _within(hired_on, now))),
               _count(and_(Referral.outcome == "hired", _within(hired_on, before))))
        .join(Member, Member.id == Referral.member_id).where(in_scope)).one())
    rate_now, rate_before = _rate(h_now, r_now), _rate(h_before, r_before)
    if not (members or taken or t_now or t_before or r_now or r_before or h_now or h_before):
        return None  # nobody of this mode here, nothing recorded: the bulletin leaves the section out

    rows = [[_("新接管：%(c)s", c=str(REASONS[c])), *taken.get(c, (0, 0))] for c in CATEGORIES]
    total_now, total_before = (sum(v[i] for v in taken.values()) for i in (0, 1))
    rows += [
        [_("新接管合计"), total_now, total_before],
        [_("“五个一”全部完成（%(y)d年度）", y=year), complete, None],
        [_("“五个一”完成2项以上（%(y)d年度）", y=year), half, None],
        [_("参加技能培训（人次）"), t_now, t_before],
        [_("培训结业（人次）"), c_now, c_before],
        [_("就业推荐（人次）"), r_now, r_before],
        [_("推荐后就业（人）"), h_now, h_before],
        [_("再就业率（%）"), rate_now, rate_before],
    ]
    change = rate_now - rate_before
    summary = _("%(p)s新接管党员%(n)d名；接管党员%(m)d名中，“五个一”全部完成%(c)d名；技能培训%(t)d人次；"
                "就业推荐%(r)d人次，就业%(h)d人，再就业率%(rate)s%%（上期%(prev)s%%）。",
                p=now.title, n=total_now, m=members, c=complete, t=t_now, r=r_now, h=h_now,
                rate=f"{rate_now:.1f}", prev=f"{rate_before:.1f}")
    return BulletinSection(
        key="takeover.summary", title=_("接管党员管理"), order=50, summary=summary,
        columns=[_("项目"), _("本期"), _("上期")], rows=rows,
        figures={_("新接管"): total_now, _("“五个一”全部完成"): complete, _("技能培训"): t_now,
                 _("就业推荐"): r_now, _("推荐后就业"): h_now, _("再就业率"): rate_now,
                 _("再就业率比上期"): round(change, 1)},
        indicators=("takeover.new", "takeover.trainings", "takeover.referrals", "takeover.reemployment_rate"))
