"""双管's checks: each one SELECT over the whole city, labelled subject_id, org_id, detail."""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import BigInteger, and_, cast, exists, func, literal, select

from core.plugin_api import Check, Member, WorkUnit, sql_message

from . import rules
from .models import Evaluation, Feedback, OpinionRequest, Post, Registration, Service, registered_during


def in_service(ctx, org_column):
    return and_(Member.state == "active", Member.category == "in_service", ctx.covers(org_column))


def registered_here():
    return exists().where(Registration.member_id == Member.id, Registration.org_id == Member.location_id,
                          Registration.state == "registered")


def arrived_before(ctx):
    """Members recorded in their community more than the grace period ago (the record's creation is
    the arrival: core keeps no moved-in date)."""
    days = ctx.settings["unregistered_grace_days"]
    return Member.created_at < dt.datetime.combine(ctx.today - dt.timedelta(days=days), dt.time())


def unregistered(ctx):
    days = ctx.settings["unregistered_grace_days"]
    return (select(Member.id.label("subject_id"), Member.location_id.label("org_id"),
                   literal(_("在本社区居住超过%(n)d天，尚未到社区报到", n=days)).label("detail"))
            .where(in_service(ctx, Member.location_id), Member.location_id.is_not(None), arrived_before(ctx),
                   ~registered_here()))


def no_service(ctx):
    quarter, start, end = rules.service_window(ctx.today, ctx.settings)
    served = exists().where(Service.member_id == Registration.member_id, Service.served_on >= start,
                            Service.served_on < end)
    grace = ctx.today - dt.timedelta(days=ctx.settings["no_service_grace_days"])
    return (select(Registration.member_id.label("subject_id"), Registration.org_id.label("org_id"),
                   literal(_("已到社区报到，%(q)s没有服务记录", q=quarter.title)).label("detail"))
            .join(Member, Member.id == Registration.member_id)
            .where(in_service(ctx, Registration.org_id), Registration.state == "registered",
                   Registration.registered_on <= grace, ~served))


def evaluation_missing(ctx):
    period = rules.evaluation_due_period(ctx.today, ctx.settings)
    evaluated = exists().where(Evaluation.member_id == Registration.member_id, Evaluation.period == period.label)
    return (select(Registration.member_id.label("subject_id"), Registration.org_id.label("org_id"),
                   literal(_("%(p)s已结束，社区尚未评价", p=period.title)).label("detail"))
            .join(Member, Member.id == Registration.member_id)
            .where(in_service(ctx, Registration.org_id), registered_during(period.start, period.end), ~evaluated))


def feedback_due(ctx):
    quarter = rules.feedback_due_quarter(ctx.today, ctx.settings)
    sent = exists().where(Feedback.org_id == Registration.org_id, Feedback.work_unit_id == Member.work_unit_id,
                          Feedback.period == quarter.label, Feedback.sent_on.is_not(None))
    return (select((cast(Registration.org_id, BigInteger) * rules.PAIR_BASE + Member.work_unit_id).label("subject_id"),
                   Registration.org_id.label("org_id"),
                   sql_message(_("%(q)s向“%(unit)s”的反馈逾期%(n)s天未发送"), q=quarter.title, unit=WorkUnit.name,
                               n=ctx.settings["feedback_due_days"]).label("detail"))
            .join(Member, Member.id == Registration.member_id)
            .join(WorkUnit, WorkUnit.id == Member.work_unit_id)
            .where(in_service(ctx, Registration.org_id), registered_during(quarter.start, quarter.end), ~sent)
            .group_by(Registration.org_id, Member.work_unit_id, WorkUnit.name))


def opinion_overdue(ctx):
    days = ctx.settings["opinion_due_days"]
    return (select(OpinionRequest.id.label("subject_id"), OpinionRequest.org_id.label("org_id"),
                   sql_message(_("%(d)s收到的听取意见函超过%(n)s天未答复"), d=OpinionRequest.received_on, n=days)
                   .label("detail"))
            .where(ctx.covers(OpinionRequest.org_id), OpinionRequest.answered_on.is_(None),
                   OpinionRequest.received_on < ctx.today - dt.timedelta(days=days)))


def post_unfilled(ctx):
    filled = func.count(Registration.id)
    return (select(Post.id.label("subject_id"), Post.org_id.label("org_id"),
                   sql_message(_("岗位“%(p)s”需要%(n)s人，现有%(m)s人"), p=Post.name, n=Post.needed, m=filled)
                   .label("detail"))
            .outerjoin(Registration, and_(Registration.post_id == Post.id, Registration.state == "registered"))
            .where(Post.active.is_(True), ctx.covers(Post.org_id))
            .group_by(Post.id, Post.org_id, Post.name, Post.needed)
            .having(filled < Post.needed))


CHECKS = [
    Check(code="dual.unregistered", title=_l("在职党员未到社区报到"), severity="warning", query=unregistered,
          description=_l("居住在本社区的在职党员到达后30天内（可设置）未到社区报到")),
    Check(code="dual.no_service", title=_l("本季度无服务记录"), severity="info", query=no_service,
          description=_l("已报到的在职党员本季度没有业余时间的服务记录")),
    Check(code="dual.evaluation_missing", title=_l("评价期结束未评价"), severity="warning",
          query=evaluation_missing, description=_l("社区对在职党员的评价期已结束，尚无评价")),
    Check(code="dual.feedback_due", title=_l("季度反馈未发送"), severity="warning", query=feedback_due,
          subject="dual_feedback_pair",
          description=_l("季度结束15天后（可设置），社区仍未向党员所在单位发送反馈")),
    Check(code="dual.opinion_overdue", title=_l("听取意见逾期未答复"), severity="serious", query=opinion_overdue,
          subject="dual_opinion_request", description=_l("单位考察党员干部听取社区意见，15天未答复")),
    Check(code="dual.post_unfilled", title=_l("岗位人员不足"), severity="info", query=post_unfilled,
          subject="dual_post", description=_l("社区设立的岗位认领人数少于所需人数")),
]
