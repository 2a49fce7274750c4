"""双管's indicators: each employer's registration rate, and the service its members give (employers) or
that is given in a community (communities and streets); residents in service and registrations."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from core.plugin_api import Indicator, Member

from .models import Registration, Service


def _current_registrations():
    """Each member's latest registration still in force."""
    return (select(Registration.member_id, func.max(Registration.id).label("id"))
            .where(Registration.state == "registered").group_by(Registration.member_id).subquery())


def _in_period(column, period):
    return and_(column >= period.start, column < period.end)


def registration_rate(ctx):
    current = _current_registrations()
    return (select(ctx.scope_id.label("scope_id"), func.count(current.c.id).label("numerator"),
                   func.count(Member.id).label("denominator"))
            .outerjoin(current, current.c.member_id == Member.id)
            .where(Member.state == "active", Member.category == "in_service", Member.work_unit_id.is_not(None))
            .group_by(ctx.scope_id))


def service_hours(ctx):
    """Employers: the hours their in-service members served; communities: the hours served there."""
    hours = func.coalesce(func.sum(Service.hours), 0).label("value")
    if ctx.level == "employer":
        return (select(ctx.scope_id.label("scope_id"), hours).select_from(Service)
                .join(Member, Member.id == Service.member_id)
                .where(Member.state == "active", Member.category == "in_service", Member.work_unit_id.is_not(None),
                       _in_period(Service.served_on, ctx.period))
                .group_by(ctx.scope_id))
    return ctx.by_org(select(ctx.scope_id.label("scope_id"), hours).select_from(Service)
                      .where(_in_period(Service.served_on, ctx.period)), Service.org_id).group_by(ctx.scope_id)


def service_times(ctx):
    return ctx.by_org(select(ctx.scope_id.label("scope_id"), func.count(Service.id).label("value"))
                      .where(_in_period(Service.served_on, ctx.period)), Service.org_id).group_by(ctx.scope_id)


def residents(ctx):
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value")).select_from(Member)
                         .where(Member.state == "active", Member.category == "in_service",
                                Member.location_id.is_not(None))).group_by(ctx.scope_id)


def registered(ctx):
    return ctx.by_org(select(ctx.scope_id.label("scope_id"),
                             func.count(func.distinct(Registration.member_id)).label("value"))
                      .where(Registration.state == "registered"), Registration.org_id).group_by(ctx.scope_id)


INDICATORS = [
    Indicator("dual.registration_rate", _l("报到率"), "%", ("employer",), registration_rate),
    Indicator("dual.service_hours", _l("服务时长"), _l("小时"), ("community", "street", "employer"), service_hours),
    Indicator("dual.service_times", _l("服务人次"), _l("人次"), ("community", "street"), service_times),
    Indicator("dual.residents", _l("在职党员"), _l("名"), ("community", "street"), residents),
    Indicator("dual.registered", _l("已报到"), _l("名"), ("community", "street"), registered),
]
