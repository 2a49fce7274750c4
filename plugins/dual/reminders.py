"""双管's reminder rules: each a SELECT of (recipient, dedup_key, ...) rows, one per reminder to send."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, exists, func, literal, select

from core.plugin_api import (Member, Organization, ReminderRule, WorkUnit, add_months, last_complete_period,
                             member_address)

from . import rules
from .checks import arrived_before, registered_here
from .models import Evaluation, Feedback, OpinionRequest, Registration, Service, registered_during


def _key_text(prefix, column, suffix):
    return literal(prefix + ":") + cast(column, String) + literal(":" + suffix)


def _key(prefix, column, suffix):
    return _key_text(prefix, column, suffix).label("dedup_key")


def _active_in_service():
    return and_(Member.state == "active", Member.category == "in_service")


def unregistered_members(ctx):
    """Each month, every employer whose members have not registered with the community they live in."""
    return (select(WorkUnit.email.label("recipient"), _key("unregistered", WorkUnit.id, f"{ctx.today:%Y-%m}"),
                   WorkUnit.name.label("unit_name"), func.count(Member.id).label("count"))
            .join(WorkUnit, WorkUnit.id == Member.work_unit_id)
            .where(_active_in_service(), Member.location_id.is_not(None), arrived_before(ctx), ~registered_here(),
                   WorkUnit.email.is_not(None))
            .group_by(WorkUnit.id, WorkUnit.email, WorkUnit.name))


def unregistered_member(ctx):
    """Each month, every in-service member not yet registered with their community, by their own channel."""
    to = member_address()
    return to.join(
        select(to.recipient.label("recipient"), to.channel.label("channel"),
               (_key_text("unregistered_member", Member.id, f"{ctx.today:%Y-%m}") + to.dedup_suffix).label("dedup_key"),
               Organization.id.label("org_id"), Organization.name.label("org_name"), Member.name.label("name"))
        .select_from(Member).join(Organization, Organization.id == Member.location_id))\
        .where(to.reachable, _active_in_service(), arrived_before(ctx), ~registered_here())


def no_service_members(ctx):
    """Mid-quarter, every employer whose registered members have no service yet this quarter."""
    quarter = rules.quarter_of(ctx.today)
    served = exists().where(Service.member_id == Registration.member_id, Service.served_on >= quarter.start)
    return (select(WorkUnit.email.label("recipient"), _key("no_service", WorkUnit.id, quarter.label),
                   WorkUnit.name.label("unit_name"), literal(str(quarter.title)).label("quarter"),
                   func.count(func.distinct(Member.id)).label("count"))
            .select_from(Registration)
            .join(Member, Member.id == Registration.member_id)
            .join(WorkUnit, WorkUnit.id == Member.work_unit_id)
            .where(_active_in_service(), Registration.state == "registered", ~served, WorkUnit.email.is_not(None))
            .group_by(WorkUnit.id, WorkUnit.email, WorkUnit.name))


def evaluations_due(ctx):
    """In the last weeks of an evaluation period, each community with registered members not yet evaluated."""
    # The period in progress: the one after the last complete one.
    following = _following(rules.evaluation_due_period(ctx.today, ctx.settings))
    in_notice = ctx.today >= following.end - dt.timedelta(days=ctx.settings["evaluation_notice_days"])
    evaluated = exists().where(Evaluation.member_id == Registration.member_id, Evaluation.period == following.label)
    return (select(Organization.email.label("recipient"), _key("evaluation", Organization.id, following.label),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   literal(str(following.title)).label("period"),
                   func.count(func.distinct(Registration.member_id)).label("count"))
            .join(Organization, Organization.id == Registration.org_id)
            .join(Member, Member.id == Registration.member_id)
            .where(literal(in_notice), _active_in_service(), Registration.state == "registered", ~evaluated,
                   Organization.email.is_not(None))
            .group_by(Organization.id, Organization.email, Organization.name))


def _following(period):
    months = {"month": 1, "quarter": 3, "year": 12}[period.kind]
    return period.__class__(period.kind, period.end, add_months(period.end, months))


def feedback_due(ctx):
    """After each quarter, each community that still owes employers its feedback."""
    quarter = last_complete_period("quarter", ctx.today)
    sent = exists().where(Feedback.org_id == Registration.org_id, Feedback.work_unit_id == Member.work_unit_id,
                          Feedback.period == quarter.label, Feedback.sent_on.is_not(None))
    return (select(Organization.email.label("recipient"), _key("feedback", Organization.id, quarter.label),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   literal(str(quarter.title)).label("quarter"),
                   literal((quarter.end + dt.timedelta(days=ctx.settings["feedback_due_days"] - 1)).isoformat())
                   .label("due_on"),
                   func.count(func.distinct(Member.work_unit_id)).label("count"))
            .select_from(Registration)
            .join(Organization, Organization.id == Registration.org_id)
            .join(Member, Member.id == Registration.member_id)
            .where(_active_in_service(), Member.work_unit_id.is_not(None),
                   registered_during(quarter.start, quarter.end), ~sent, Organization.email.is_not(None))
            .group_by(Organization.id, Organization.email, Organization.name))


def opinions_due(ctx):
    """Each opinion request still unanswered some days after it arrived, to the community asked."""
    notice = ctx.today - dt.timedelta(days=ctx.settings["opinion_notice_days"])
    return (select(Organization.email.label("recipient"),
                   (literal("opinion:") + cast(OpinionRequest.id, String)).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   Member.name.label("name"), OpinionRequest.received_on.label("received_on"),
                   func.coalesce(WorkUnit.name, "").label("unit_name"))
            .select_from(OpinionRequest)
            .join(Organization, Organization.id == OpinionRequest.org_id)
            .join(Member, Member.id == OpinionRequest.member_id)
            .outerjoin(WorkUnit, WorkUnit.id == OpinionRequest.work_unit_id)
            .where(OpinionRequest.answered_on.is_(None), OpinionRequest.received_on <= notice,
                   Organization.email.is_not(None)))


RULES = [
    ReminderRule(code="dual.unregistered_notice", title=_l("在职党员到社区报到提醒"), schedule="0 9 1 * *",
                 query=unregistered_members, template="dual/unregistered_notice.txt"),
    ReminderRule(code="dual.unregistered_member", title=_l("在职党员本人到社区报到提醒"), schedule="0 9 1 * *",
                 query=unregistered_member, template="dual/unregistered_member.txt"),
    ReminderRule(code="dual.no_service_notice", title=_l("在职党员本季度服务提醒"), schedule="0 9 15 2,5,8,11 *",
                 query=no_service_members, template="dual/no_service_notice.txt"),
    ReminderRule(code="dual.evaluation_due", title=_l("在职党员评价提醒"), schedule="0 9 1 * *",
                 query=evaluations_due, template="dual/evaluation_due.txt"),
    ReminderRule(code="dual.feedback_due", title=_l("单位季度反馈提醒"), schedule="0 9 1,10 1,4,7,10 *",
                 query=feedback_due, template="dual/feedback_due.txt"),
    ReminderRule(code="dual.opinion_due", title=_l("听取意见函答复提醒"), schedule="0 9 * * *",
                 query=opinions_due, template="dual/opinion_due.txt"),
]
