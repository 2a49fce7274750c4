"""The 协管 section of a community's or street's 通报: a fixed number of grouped queries."""
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select

from core.plugin_api import BulletinSection, Member, db

from .models import DIRECTIONS, REASONS, Card, Contact, MobileRecord, Station
from .reminders import lost_contact_condition


class _Ctx:
    def __init__(self, today, settings):
        self.today, self.settings = today, settings


def section(ctx, settings):
    today = min(ctx.today, ctx.period.end - dt.timedelta(days=1))
    in_scope = ctx.members_in_scope()
    if not db.session.scalar(select(exists().where(MobileRecord.member_id == Member.id, in_scope)
                                    | exists().where(ctx.orgs_in_scope(Station.org_id)))):
        return None  # no mobile members here, ever: no section
    records = (select(MobileRecord.direction, MobileRecord.place, MobileRecord.reason, func.count())
               .join(Member, Member.id == MobileRecord.member_id)
               .where(in_scope, MobileRecord.state.in_(("active", "lost")), Member.state == "active")
               .group_by(MobileRecord.direction, MobileRecord.place, MobileRecord.reason)
               .order_by(MobileRecord.direction.desc(), MobileRecord.place, MobileRecord.reason))
    rows = [[str(DIRECTIONS.get(d, d)), place, str(REASONS.get(r, r)), n] for d, place, r, n in db.session.execute(records)]
    inflow = sum(r[3] for r in rows if r[0] == str(DIRECTIONS["in"]))
    outflow = sum(r[3] for r in rows if r[0] == str(DIRECTIONS["out"]))

    def between(column, period):
        return and_(column >= period.start, column < period.end)

    this_contacts, last_contacts = db.session.execute(
        select(func.sum(case((between(Contact.contacted_on, ctx.period), 1), else_=0)),
               func.sum(case((between(Contact.contacted_on, ctx.previous), 1), else_=0)))
        .join(Member, Member.id == Contact.member_id)
        .where(in_scope, or_(between(Contact.contacted_on, ctx.period), between(Contact.contacted_on, ctx.previous)))
    ).one()
    issued, valid, expired = db.session.execute(
        select(func.sum(case((between(Card.issued_on, ctx.period), 1), else_=0)),
               func.sum(case((and_(Card.issued_on <= today, Card.valid_until >= today,
                                   Card.returned_on.is_(None)), 1), else_=0)),
               func.sum(case((and_(Card.valid_until < today, Card.returned_on.is_(None)), 1), else_=0)))
        .join(Member, Member.id == Card.member_id).where(in_scope)).one()
    lost = db.session.scalar(
        select(func.count()).select_from(MobileRecord).join(Member, Member.id == MobileRecord.member_id)
        .where(in_scope, lost_contact_condition(_Ctx(today, settings))))
    stations, branches = db.session.execute(
        select(func.count(Station.id), func.count(Station.temp_branch_id))
        .where(ctx.orgs_in_scope(Station.org_id))).one()
    figures = {_("流入党员"): inflow, _("流出党员"): outflow, _("本期联系次数"): int(this_contacts or 0),
               _("上期联系次数"): int(last_contacts or 0), _("本期发放活动证"): int(issued or 0),
               _("有效活动证"): int(valid or 0), _("过期活动证"): int(expired or 0), _("失联党员"): int(lost or 0),
               _("流动党员管理站"): int(stations or 0), _("临时党支部"): int(branches or 0)}
    summary = _("流入党员%(i)d名、流出党员%(o)d名；本期联系%(c)d次（上期%(p)d次）；本期发放活动证%(n)d个，"
                "有效%(v)d个，过期%(e)d个；失联%(l)d名；管理站%(s)d个，临时党支部%(b)d个。",
                i=inflow, o=outflow, c=figures[_("本期联系次数")], p=figures[_("上期联系次数")],
                n=figures[_("本期发放活动证")], v=figures[_("有效活动证")], e=figures[_("过期活动证")],
                l=figures[_("失联党员")], s=figures[_("流动党员管理站")], b=figures[_("临时党支部")])
    return BulletinSection(key="assist.mobile", title=_("流动党员协管情况"), order=70, summary=summary,
                           columns=[_("流向"), _("所在地"), _("流动原因"), _("人数")], rows=rows,
                           figures=figures,
                           indicators=("assist.inflow", "assist.outflow", "assist.contacts", "assist.lost"))
