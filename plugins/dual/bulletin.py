"""双管's parts of the 通报: the employer's 在职党员活动情况定期通报, and a section in the community's."""
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from core.plugin_api import Activity, Attendance, BulletinSection, Member, Organization, db

from .models import GRADES, Evaluation, Feedback, Post, Registration, Service, registered_during

MEETING = "dual_meeting"


def sections(ctx):
    if ctx.kind == "employer":
        return [employer_section(ctx)]
    section = community_section(ctx)
    return [section] if section else []


def _in_period(column, period):
    return and_(column >= period.start, column < period.end)


def _current_registrations():
    """Each member's latest registration still in force."""
    return (select(Registration.member_id, func.max(Registration.id).label("id"))
            .where(Registration.state == "registered").group_by(Registration.member_id).subquery())


def employer_section(ctx):
    period, unit_id = ctx.period, ctx.unit.id
    current = _current_registrations()
    members = db.session.execute(
        select(Member.id, Member.name, Organization.name, Post.name, Registration.id)
        .outerjoin(current, current.c.member_id == Member.id)
        .outerjoin(Registration, Registration.id == current.c.id)
        .outerjoin(Organization, Organization.id == Registration.org_id)
        .outerjoin(Post, Post.id == Registration.post_id)
        .where(Member.state == "active", Member.category == "in_service", Member.work_unit_id == unit_id)
        .order_by(Registration.id.is_(None).desc(), Member.name, Member.id)).all()
    service = dict((m, (float(h or 0), n)) for m, h, n in db.session.execute(
        select(Service.member_id, func.sum(Service.hours), func.count(Service.id))
        .join(Member, Member.id == Service.member_id)
        .where(Member.work_unit_id == unit_id, _in_period(Service.served_on, period))
        .group_by(Service.member_id)))
    meetings = dict(db.session.execute(
        select(Attendance.member_id, func.count(Attendance.id))
        .join(Activity, Activity.id == Attendance.activity_id)
        .join(Member, Member.id == Attendance.member_id)
        .where(Member.work_unit_id == unit_id, Activity.kind == MEETING, Attendance.present.is_(True),
               _in_period(Activity.held_on, period))
        .group_by(Attendance.member_id)).all())
    labels = [period.label, str(period.start.year)]
    grades = {}
    for member_id, label, grade in db.session.execute(
            select(Evaluation.member_id, Evaluation.period, Evaluation.grade)
            .join(Member, Member.id == Evaluation.member_id)
            .where(Member.work_unit_id == unit_id, Evaluation.period.in_(labels))):
        if member_id not in grades or label == period.label:
            grades[member_id] = str(GRADES.get(grade, grade))
    rows = []
    for member_id, name, community, post, registration_id in members:
        hours, times = service.get(member_id, (0.0, 0))
        rows.append([name, _("已报到") if registration_id else _("未报到"), community or "", post or "",
                     round(hours, 1), times, meetings.get(member_id, 0), grades.get(member_id, "")])
    total, registered = len(rows), sum(1 for r in members if r[4])
    hours = round(sum(r[4] for r in rows), 1)
    rate = round(100.0 * registered / total, 1) if total else 0.0
    # Ranks among the city's employers come from the period's pass, not from the city's rows again.
    stored_rate, stored_hours = ctx.indicators.get("dual.registration_rate"), ctx.indicators.get("dual.service_hours")
    peers = stored_rate.peers if stored_rate is not None and stored_rate.peers else 0
    rate_rank = stored_rate.rank if stored_rate is not None else None
    hours_rank = stored_hours.rank if stored_hours is not None else None
    return BulletinSection(
        key="dual.employer", title=_("在职党员活动情况"), order=30,
        summary=_("本单位在职党员%(t)d名，已到居住地社区报到%(r)d名（报到率%(rate)s%%），%(p)s在社区服务%(h)s小时；"
                  "报到率在%(n)d个单位中排第%(a)d名，服务时长排第%(b)d名。",
                  t=total, r=registered, rate=rate, p=period.title, h=hours, n=peers, a=rate_rank or 0, b=hours_rank or 0),
        columns=[_("姓名"), _("报到情况"), _("报到社区"), _("认领岗位"), _("服务时长（小时）"), _("服务次数"),
                 _("参加例会"), _("社区评价")],
        rows=rows,
        figures={_("在职党员"): total, _("已报到"): registered, _("报到率（%）"): rate, _("服务时长"): hours,
                 _("报到率排名"): rate_rank, _("服务时长排名"): hours_rank},
        indicators=("dual.registration_rate", "dual.service_hours"))


def community_section(ctx):
    period = ctx.period
    total = db.session.scalar(select(func.count(Member.id)).where(
        Member.state == "active", Member.category == "in_service", Member.location_id.is_not(None),
        ctx.orgs_in_scope(Member.location_id)))
    registered = db.session.scalar(select(func.count(func.distinct(Registration.member_id))).where(
        Registration.state == "registered", ctx.orgs_in_scope(Registration.org_id)))
    hours, times = db.session.execute(select(func.coalesce(func.sum(Service.hours), 0), func.count(Service.id))
                                      .where(ctx.orgs_in_scope(Service.org_id),
                                             _in_period(Service.served_on, period))).one()
    if not (total or registered or times):
        return None  # no in-service member lives or serves here: nothing to report
    evaluated = db.session.scalar(select(func.count(Evaluation.id)).where(
        ctx.orgs_in_scope(Evaluation.org_id), Evaluation.period.in_([period.label, str(period.start.year)])))
    feedback = db.session.scalar(select(func.count(Feedback.id)).where(
        ctx.orgs_in_scope(Feedback.org_id), Feedback.sent_on.is_not(None), _in_period(Feedback.sent_on, period)))
    posts = db.session.execute(
        select(Post.name, func.sum(Post.needed), func.count(Registration.id))
        .outerjoin(Registration, and_(Registration.post_id == Post.id, Registration.state == "registered"))
        .where(Post.active.is_(True), ctx.orgs_in_scope(Post.org_id))
        .group_by(Post.name).order_by(Post.name)).all()
    post_hours = dict(db.session.execute(
        select(Post.name, func.sum(Service.hours))
        .select_from(Service)
        .join(Registration, and_(Registration.member_id == Service.member_id, Registration.org_id == Service.org_id,
                                 registered_during(period.start, period.end)))
        .join(Post, Post.id == Registration.post_id)
        .where(ctx.orgs_in_scope(Service.org_id), _in_period(Service.served_on, period))
        .group_by(Post.name)).all())
    rows = [[name, int(needed or 0), int(filled or 0), round(float(post_hours.get(name) or 0), 1)]
            for name, needed, filled in posts]
    hours = round(float(hours or 0), 1)
    return BulletinSection(
        key="dual.community", title=_("在职党员到社区报到和服务情况"), order=30,
        summary=_("居住在本辖区的在职党员%(t)d名，已报到%(r)d名；%(p)s服务%(n)d人次、%(h)s小时，"
                  "评价%(e)d人，向单位反馈%(f)d次。",
                  t=total, r=registered, p=period.title, n=times, h=hours, e=evaluated, f=feedback),
        columns=[_("岗位"), _("所需人数"), _("在岗人数"), _("服务时长（小时）")], rows=rows,
        figures={_("在职党员"): total, _("已报到"): registered, _("服务人次"): times, _("服务时长"): hours,
                 _("已评价"): evaluated, _("单位反馈"): feedback},
        indicators=("dual.residents", "dual.registered", "dual.service_times", "dual.service_hours"))
