"""共管 checks: each one SELECT over all retirees (or hardships, or agreements), labelled subject_id, org_id, detail.

Cut-off dates are computed in Python, so the SQL stays the same on SQLite and PostgreSQL.
"""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select

from core.plugin_api import Check, Member, sql_message

from .models import FRAIL, JointAgreement, JointHardship, JointHardshipAction, JointProfile, JointVisit


def years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def member_org():
    """Where a retiree is looked after: the community they live in, else the organization that holds them."""
    return func.coalesce(Member.location_id, Member.affiliation_id)


def retirees(ctx):
    """Active retirees inside the swept scope."""
    return and_(Member.category == "retired", Member.state == "active",
                or_(ctx.covers(Member.location_id),
                    and_(Member.location_id.is_(None), ctx.covers(Member.affiliation_id))))


def former_unit():
    """The profile's former unit, else the unit the member record names."""
    return func.coalesce(JointProfile.former_unit_id, Member.work_unit_id)


def no_former_unit(ctx):
    no_unit = former_unit().is_(None)
    no_contact = func.coalesce(func.trim(JointProfile.unit_contact), "") == ""
    detail = case((no_unit, literal(_("未登记原单位"))), else_=literal(_("未登记原单位联系人")))
    return (select(Member.id.label("subject_id"), member_org().label("org_id"), detail.label("detail"))
            .select_from(Member).outerjoin(JointProfile, JointProfile.member_id == Member.id)
            .where(retirees(ctx), or_(no_unit, no_contact)))


def is_priority(ctx):
    """Aged `priority_age` or more, or in poor health or bedridden."""
    return or_(Member.birth_date <= years_before(ctx.today, ctx.settings["priority_age"]),
               JointProfile.health.in_(FRAIL))


def visit_due(ctx):
    last = (select(JointVisit.member_id, func.max(JointVisit.visited_on).label("last_visit"))
            .group_by(JointVisit.member_id).subquery())
    priority_cutoff = ctx.today - dt.timedelta(days=ctx.settings["priority_visit_days"])
    any_cutoff = ctx.today - dt.timedelta(days=ctx.settings["visit_days"])
    priority = is_priority(ctx)
    since = func.coalesce(last.c.last_visit, literal(dt.date(1900, 1, 1)))
    overdue_priority = and_(priority, since < priority_cutoff)
    overdue_any = since < any_cutoff
    detail = case(
        (last.c.last_visit.is_(None),
         literal(_("从未走访慰问"))),
        (overdue_priority,
         sql_message(_("高龄或体弱党员，%(n)s天内未走访（上次走访%(day)s）"),
                     n=ctx.settings["priority_visit_days"], day=last.c.last_visit)),
        else_=sql_message(_("一年内未走访（上次走访%(day)s）"), day=last.c.last_visit))
    return (select(Member.id.label("subject_id"), member_org().label("org_id"), detail.label("detail"))
            .select_from(Member)
            .outerjoin(JointProfile, JointProfile.member_id == Member.id)
            .outerjoin(last, last.c.member_id == Member.id)
            .where(retirees(ctx), or_(overdue_priority, overdue_any)))


def hardships_without_action(ctx):
    """Open hardships reported more than `hardship_action_days` ago with no action: a condition on JointHardship."""
    cutoff = ctx.today - dt.timedelta(days=ctx.settings["hardship_action_days"])
    return and_(JointHardship.state != "resolved", JointHardship.reported_on < cutoff,
                ~exists().where(JointHardshipAction.hardship_id == JointHardship.id))


def hardship_open(ctx):
    return (select(JointHardship.id.label("subject_id"), member_org().label("org_id"),
                   sql_message(_("%(name)s反映的困难（%(day)s）超过%(n)s天未采取措施"), name=Member.name,
                               day=JointHardship.reported_on, n=ctx.settings["hardship_action_days"])
                   .label("detail"))
            .join(Member, Member.id == JointHardship.member_id)
            .where(hardships_without_action(ctx), Member.state == "active",
                   or_(ctx.covers(Member.location_id),
                       and_(Member.location_id.is_(None), ctx.covers(Member.affiliation_id)))))


def agreement_review(ctx):
    return (select(JointAgreement.id.label("subject_id"), JointAgreement.org_id.label("org_id"),
                   sql_message(_("共管协议应于%(day)s复核，尚未复核"), day=JointAgreement.review_on).label("detail"))
            .where(JointAgreement.review_on < ctx.today, ctx.covers(JointAgreement.org_id)))


CHECKS = [
    Check(code="joint.no_former_unit", title=_l("离退休党员未登记原单位或联系人"), severity="warning",
          query=no_former_unit, description=_l("共管以社区为主、原单位为辅：每名离退休党员都应登记原单位及其联系人")),
    Check(code="joint.visit_due", title=_l("离退休党员未按期走访"), severity="serious", query=visit_due,
          description=_l("80岁以上或体弱卧床的离退休党员90天内应走访一次，其他离退休党员每年至少走访一次")),
    Check(code="joint.hardship_open", title=_l("困难超过30天未采取措施"), severity="serious", query=hardship_open,
          subject="hardship", description=_l("离退休党员反映的困难超过30天仍无任何帮扶措施")),
    Check(code="joint.agreement_review", title=_l("共管协议逾期未复核"), severity="info", query=agreement_review,
          subject="agreement", description=_l("与原单位签订的共管协议已过复核日期")),
]
