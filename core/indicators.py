"""Core's indicators: who is on the rolls and whether a mode claims them, what the sweep found and
what was put right, and each employer's in-service members and how many live in a community."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from .contract import Indicator
from .models import Finding, Member
from .plugins import host


def _start(period):
    return dt.datetime.combine(period.start, dt.time())


def _end(period):
    return dt.datetime.combine(period.end, dt.time())


def members(ctx):
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                         .select_from(Member).where(Member.state == "active")).group_by(ctx.scope_id)


def unclaimed(ctx):
    claimed = list(host().categories)
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                         .select_from(Member).where(Member.state == "active", Member.category.not_in(claimed))
                         ).group_by(ctx.scope_id)


def _findings(condition):
    def query(ctx):
        return ctx.by_org(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                          .select_from(Finding).where(condition(ctx)), Finding.org_id).group_by(ctx.scope_id)
    return query


def _in_period(column, ctx):
    return and_(column >= _start(ctx.period), column < _end(ctx.period))


def in_service(ctx):
    return (select(ctx.scope_id.label("scope_id"), func.count().label("value"))
            .where(Member.state == "active", Member.category == "in_service", Member.work_unit_id.is_not(None))
            .group_by(ctx.scope_id))


def located(ctx):
    """In-service members whose community of residence is known (the employer's 已报到 of core's section)."""
    return (select(ctx.scope_id.label("scope_id"), func.count().label("value"))
            .where(Member.state == "active", Member.category == "in_service", Member.work_unit_id.is_not(None),
                   Member.location_id.is_not(None))
            .group_by(ctx.scope_id))


INDICATORS = [
    Indicator("core.members", _l("在册党员"), _l("名"), ("community", "street"), members),
    Indicator("core.unclaimed", _l("未认领"), _l("名"), ("community", "street"), unclaimed, higher_is_better=False),
    Indicator("core.findings_opened", _l("新发现问题"), _l("个"), ("community", "street"),
              _findings(lambda ctx: _in_period(Finding.first_seen, ctx)), higher_is_better=False),
    Indicator("core.findings_resolved", _l("已整改问题"), _l("个"), ("community", "street"),
              _findings(lambda ctx: _in_period(Finding.resolved_at, ctx))),
    Indicator("core.findings_live", _l("待处理问题"), _l("个"), ("community", "street"),
              _findings(lambda ctx: Finding.state != "resolved"), higher_is_better=False),
    Indicator("core.in_service", _l("在职党员"), _l("名"), ("employer",), in_service),
    Indicator("core.located", _l("已报到"), _l("名"), ("employer",), located),
]
