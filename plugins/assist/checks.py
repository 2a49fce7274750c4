"""协管 checks: each one SELECT over all mobile records (or cards, or stations), set-based.

Thresholds come from the plugin's settings (`wuguan_settings`) and core's RULES
(`mobile_settle_months`); dates become cut-offs in Python so the SQL stays portable.
"""
import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from core.plugin_api import Check, Member, Transfer, add_months, sql_message

from .models import Card, Contact, MobileRecord, Station, TempRelation


_Renewal = aliased(Card)


def member_org():
    """The organization whose staff act on a member: the community they live in, else their own."""
    return func.coalesce(Member.location_id, Member.affiliation_id)


def latest_start(deadline, months):
    """The latest day d with add_months(d, months) <= deadline: away since d means `months` or more."""
    day = add_months(deadline, -months)
    while add_months(day + dt.timedelta(days=1), months) <= deadline:
        day += dt.timedelta(days=1)
    return day


def last_contact(party_condition):
    """The last contact date of a record with the parties `party_condition` selects (a correlated subquery)."""
    return (select(func.max(Contact.contacted_on))
            .where(Contact.record_id == MobileRecord.id, party_condition)
            .correlate(MobileRecord).scalar_subquery())


def other_party():
    """The other side's organization: the inflow org for an outflow member, the outflow org for an inflow one."""
    return case((MobileRecord.direction == "out", "inflow_org"), else_="outflow_org")


def active_records(ctx):
    return and_(MobileRecord.state == "active", Member.state == "active", ctx.covers(member_org()))


def _records():
    return select().select_from(MobileRecord).join(Member, Member.id == MobileRecord.member_id)


def no_contact(ctx):
    member_days, org_days = ctx.settings["member_contact_days"], ctx.settings["org_contact_days"]
    last_member = func.coalesce(last_contact(Contact.party == "member"), MobileRecord.since)
    last_org = func.coalesce(last_contact(Contact.party == other_party()), MobileRecord.since)
    member_late = last_member < ctx.today - dt.timedelta(days=member_days)
    org_late = last_org < ctx.today - dt.timedelta(days=org_days)
    detail = case(
        (and_(member_late, org_late),
         sql_message(_("已超过%(m)s天未与党员本人联系（最后%(a)s），超过%(o)s天未与对方党组织联系（最后%(b)s）"),
                     m=member_days, a=last_member, o=org_days, b=last_org)),
        (member_late, sql_message(_("已超过%(m)s天未与党员本人联系（最后%(a)s）"), m=member_days, a=last_member)),
        else_=sql_message(_("已超过%(o)s天未与对方党组织联系（最后%(b)s）"), o=org_days, b=last_org))
    return (_records().add_columns(MobileRecord.member_id.label("subject_id"), member_org().label("org_id"),
                                   detail.label("detail"))
            .where(active_records(ctx), or_(member_late, org_late)))


def valid_card_exists(today):
    return exists().where(Card.member_id == MobileRecord.member_id, Card.returned_on.is_(None),
                          Card.issued_on <= today, Card.valid_until >= today)


def temp_relation_exists(today):
    return exists().where(TempRelation.member_id == MobileRecord.member_id, TempRelation.started_on <= today,
                          or_(TempRelation.ended_on.is_(None), TempRelation.ended_on >= today))


def away_long(ctx):
    """Away (or here) for `mobile_settle_months` or more on `ctx.today`."""
    return MobileRecord.since <= latest_start(ctx.today, ctx.rules["mobile_settle_months"])


def six_months_no_arrangement(ctx):
    months = ctx.rules["mobile_settle_months"]
    return (_records().add_columns(
                MobileRecord.member_id.label("subject_id"), member_org().label("org_id"),
                sql_message(_("自%(d)s起流动已满%(n)s个月，既无有效《流动党员活动证》，也未接转临时组织关系"),
                            d=MobileRecord.since, n=months).label("detail"))
            .where(active_records(ctx), away_long(ctx), ~valid_card_exists(ctx.today),
                   ~temp_relation_exists(ctx.today)))


def card_expired(ctx):
    renewed = exists().where(_Renewal.member_id == Card.member_id, _Renewal.id != Card.id,
                             _Renewal.valid_until >= ctx.today, _Renewal.returned_on.is_(None))
    return (select(Card.id.label("subject_id"), member_org().label("org_id"),
                   sql_message(_("活动证%(no)s已于%(d)s过期，未换发也未收回"), no=Card.number, d=Card.valid_until)
                   .label("detail"))
            .join(Member, Member.id == Card.member_id)
            .where(Card.valid_until < ctx.today, Card.returned_on.is_(None), ~renewed,
                   Member.state == "active", ctx.covers(member_org())))


def settled_not_transferred(ctx):
    temporary = select(TempRelation.transfer_id).where(TempRelation.transfer_id.is_not(None))
    moved = exists().where(Transfer.member_id == MobileRecord.member_id,
                           Transfer.direction == MobileRecord.direction,
                           Transfer.state.in_(("received", "completed")),
                           Transfer.id.not_in(temporary))
    detail = case((MobileRecord.direction == "out",
                   sql_message(_("已在%(p)s定居，组织关系尚未转至居住地党组织"), p=MobileRecord.place)),
                  else_=sql_message(_("已在本地定居，组织关系尚未从%(o)s转入"),
                                    o=func.coalesce(MobileRecord.other_org_name, literal(_("原党组织")))))
    return (_records().add_columns(MobileRecord.member_id.label("subject_id"), member_org().label("org_id"),
                                   detail.label("detail"))
            .where(active_records(ctx), MobileRecord.settled.is_(True), ~moved))


def year_start(today):
    return dt.date(today.year, 1, 1)


def reported_this_year(today):
    return exists().where(Contact.member_id == MobileRecord.member_id, Contact.is_report.is_(True),
                          Contact.contacted_on >= year_start(today), Contact.contacted_on <= today)


def yearly_report_missing(ctx):
    if ctx.today.month < ctx.settings["yearly_report_check_from_month"]:
        return _records().add_columns(MobileRecord.member_id.label("subject_id"), member_org().label("org_id"),
                                      literal("").label("detail")).where(literal(False))
    return (_records().add_columns(
                MobileRecord.member_id.label("subject_id"), member_org().label("org_id"),
                literal(_("%(y)d年尚未向原党组织报告情况", y=ctx.today.year)).label("detail"))
            .where(active_records(ctx), MobileRecord.direction == "out",
                   MobileRecord.since < year_start(ctx.today), ~reported_this_year(ctx.today)))


def station_members():
    return (select(func.count(MobileRecord.id)).join(Member, Member.id == MobileRecord.member_id)
            .where(MobileRecord.station_id == Station.id, MobileRecord.state == "active",
                   Member.state == "active")
            .correlate(Station).scalar_subquery())


def group_without_branch(ctx):
    minimum = ctx.settings["temp_branch_min_members"]
    count = station_members()
    return (select(Station.id.label("subject_id"), Station.org_id.label("org_id"),
                   sql_message(_("管理站“%(s)s”有流动党员%(n)s名，尚未建立临时党支部"), s=Station.name, n=count)
                   .label("detail"))
            .where(Station.temp_branch_id.is_(None), count >= minimum, ctx.covers(Station.org_id)))



CHECKS = [
    Check(code="assist.no_contact", title=_l("流动党员长期未联系"), severity="serious", query=no_contact,
          description=_l("90天未与党员本人联系，或180天未与对方党组织联系（天数可设置）")),
    Check(code="assist.six_months_no_arrangement", title=_l("流动满6个月未作安排"), severity="serious",
          query=six_months_no_arrangement,
          description=_l("外出或流入满6个月，既无有效活动证，也未接转临时组织关系")),
    Check(code="assist.card_expired", title=_l("活动证过期"), severity="warning", query=card_expired,
          subject="assist_card", description=_l("《流动党员活动证》已过有效期，未换发也未收回")),
    Check(code="assist.settled_not_transferred", title=_l("已定居未转组织关系"), severity="serious",
          query=settled_not_transferred, description=_l("已在外地（或本地）定居，组织关系仍未转移")),
    Check(code="assist.yearly_report_missing", title=_l("流出党员年度未报告"), severity="warning",
          query=yearly_report_missing, description=_l("流出党员本年度尚未向原党组织报告情况")),
    Check(code="assist.group_without_branch", title=_l("管理站未建临时党支部"), severity="warning",
          query=group_without_branch, subject="assist_station",
          description=_l("同一管理站有3名以上流动党员，尚未建立临时党支部")),
]
