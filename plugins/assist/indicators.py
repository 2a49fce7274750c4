"""协管's indicators: members flowing in and out, contacts this period, and those out of contact."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from core.plugin_api import Indicator, Member

from .models import Contact, MobileRecord
from .reminders import lost_contact_condition

LEVELS = ("community", "street")


class _AsOf:
    """The reminder condition's context, on the period's last day (or today, within it)."""
    def __init__(self, today, settings):
        self.today, self.settings = today, settings


def _flow(direction):
    def query(ctx):
        return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                             .select_from(MobileRecord).join(Member, Member.id == MobileRecord.member_id)
                             .where(MobileRecord.direction == direction, MobileRecord.state.in_(("active", "lost")),
                                    Member.state == "active")).group_by(ctx.scope_id)
    return query


def contacts(ctx):
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                         .select_from(Contact).join(Member, Member.id == Contact.member_id)
                         .where(and_(Contact.contacted_on >= ctx.period.start, Contact.contacted_on < ctx.period.end))
                         ).group_by(ctx.scope_id)


def lost(ctx):
    today = min(ctx.today, ctx.period.end - dt.timedelta(days=1))
    return ctx.by_member(select(ctx.scope_id.label("scope_id"), func.count().label("value"))
                         .select_from(MobileRecord).join(Member, Member.id == MobileRecord.member_id)
                         .where(lost_contact_condition(_AsOf(today, ctx.settings)))).group_by(ctx.scope_id)


INDICATORS = [
    Indicator("assist.inflow", _l("流入党员"), _l("名"), LEVELS, _flow("in")),
    Indicator("assist.outflow", _l("流出党员"), _l("名"), LEVELS, _flow("out")),
    Indicator("assist.contacts", _l("本期联系次数"), _l("次"), LEVELS, contacts),
    Indicator("assist.lost", _l("失联党员"), _l("名"), LEVELS, lost, higher_is_better=False),
]
