"""直管's part of each 通报: zones and their coverage of buildings, cards issued and valid, pairings active
and visits made this period against the previous one, 争五好 results; one row per community, a fixed
number of grouped queries whatever the number of members."""
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import and_, case, distinct, exists, func, or_, select

from core.plugin_api import BulletinSection, Member, Organization, db

from .models import GOODS, Card, Pairing, Rating, Visit, Zone, ZoneBuilding

CATEGORY = "resident"


def _between(column, period):
    return and_(column >= period.start, column < period.end)


def _count_when(condition):
    return func.sum(case((condition, 1), else_=0))


def sections(ctx):
    if ctx.kind == "employer":
        return []
    session = db.session
    period, previous = ctx.period, ctx.previous
    year = (period.end - dt.timedelta(days=1)).year
    communities = session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.kind == "community", ctx.orgs_in_scope(Organization.id))
        .order_by(Organization.code)).all()

    def grouped(statement):
        return {row[0]: row[1:] for row in session.execute(statement)}

    zones = grouped(select(Zone.community_id, func.count()).where(ctx.orgs_in_scope(Zone.community_id))
                    .group_by(Zone.community_id))
    covered = exists().where(ZoneBuilding.community_id == Member.location_id, ZoneBuilding.building == Member.building)
    buildings = grouped(
        select(Member.location_id, func.count(distinct(Member.building)),
               func.count(distinct(case((covered, Member.building)))))
        .where(Member.state == "active", Member.building.is_not(None), ctx.orgs_in_scope(Member.location_id))
        .group_by(Member.location_id))
    cards = grouped(
        select(Card.community_id, _count_when(_between(Card.issued_on, period)), _count_when(Card.year == year))
        .join(Member, Member.id == Card.member_id)
        .where(Member.state == "active", ctx.orgs_in_scope(Card.community_id))
        .group_by(Card.community_id))
    pairings = grouped(
        select(Member.location_id, func.count())
        .select_from(Pairing).join(Member, Member.id == Pairing.member_id)
        .where(ctx.members_in_scope(), Pairing.started_on < period.end,
               or_(Pairing.ended_on.is_(None), Pairing.ended_on >= period.start))
        .group_by(Member.location_id))
    visits = grouped(
        select(Member.location_id, _count_when(_between(Visit.visited_on, period)),
               _count_when(_between(Visit.visited_on, previous)))
        .select_from(Visit).join(Member, Member.id == Visit.member_id)
        .where(ctx.members_in_scope(), Visit.visited_on >= previous.start, Visit.visited_on < period.end)
        .group_by(Member.location_id))
    all_five = and_(*(getattr(Rating, key).is_(True) for key in GOODS))
    ratings = grouped(
        select(Member.location_id, func.count(), _count_when(all_five))
        .select_from(Rating).join(Member, Member.id == Rating.member_id)
        .where(ctx.members_in_scope(), Member.category == CATEGORY, Rating.year == year)
        .group_by(Member.location_id))
    residents = grouped(
        select(Member.location_id, func.count())
        .where(ctx.members_in_scope(), Member.category == CATEGORY, Member.state == "active")
        .group_by(Member.location_id))

    rows = []
    for org_id, name in communities:
        b_total, b_covered = buildings.get(org_id, (0, 0))
        c_issued, c_valid = cards.get(org_id, (0, 0))
        v_now, v_before = visits.get(org_id, (0, 0))
        r_rated, r_five = ratings.get(org_id, (0, 0))
        rows.append([name, zones.get(org_id, (0,))[0], int(b_total), int(b_covered), int(c_issued or 0),
                     int(c_valid or 0), pairings.get(org_id, (0,))[0], int(v_now or 0), int(v_before or 0),
                     residents.get(org_id, (0,))[0], int(r_rated), int(r_five or 0)])
    totals = [sum(row[i] for row in rows) for i in range(1, 12)]
    (n_zones, n_buildings, n_covered, n_issued, n_valid, n_pairings, n_visits, n_visits_before, n_residents,
     n_rated, n_five) = totals
    if not (n_zones or n_residents or n_valid or n_pairings or n_visits or n_visits_before):
        return []  # no resident members and no 直管 records in this scope: nothing to report
    figures = {_("责任区"): n_zones, _("楼栋"): n_buildings, _("已划入责任区的楼栋"): n_covered,
               _("本期发放责任卡"): n_issued, _("有效责任卡"): n_valid, _("在帮结对"): n_pairings,
               _("本期走访"): n_visits, _("争五好已评定"): n_rated, _("五好全部达标"): n_five}
    if n_visits > n_visits_before:
        trend = _("比上期增加%(n)d次", n=n_visits - n_visits_before)
    elif n_visits < n_visits_before:
        trend = _("比上期减少%(n)d次", n=n_visits_before - n_visits)
    else:
        trend = _("与上期持平")
    summary = _("%(period)s共有党员责任区%(z)d个，覆盖楼栋%(c)d/%(b)d栋；有效责任卡%(v)d张，本期发放%(i)d张；"
                "在帮结对%(p)d对，本期走访%(n)d次（上期%(m)d次，%(trend)s）；%(year)d年度争五好已评定%(r)d/%(res)d人，"
                "五好全部达标%(f)d人。",
                period=period.title, z=n_zones, c=n_covered, b=n_buildings, v=n_valid, i=n_issued, p=n_pairings,
                n=n_visits, m=n_visits_before, trend=trend, year=year, r=n_rated, res=n_residents, f=n_five)
    columns = [_("社区"), _("责任区"), _("楼栋"), _("已覆盖楼栋"), _("本期发卡"), _("有效责任卡"), _("在帮结对"),
               _("本期走访"), _("上期走访"), _("居住地党员"), _("争五好已评定"), _("五好全部达标")]
    chart = {"type": "bar", "labels": [row[0] for row in rows],
             "datasets": [{"label": _("本期走访"), "data": [row[7] for row in rows]},
                          {"label": _("上期走访"), "data": [row[8] for row in rows]}]}
    return [BulletinSection(key="direct.summary", title=_("直管：责任区、责任卡、结对帮扶、争五好"), order=50,
                            summary=summary, columns=columns, rows=rows, chart=chart, figures=figures,
                            indicators=("direct.zones", "direct.cards_valid", "direct.pairings", "direct.visits",
                                        "direct.five_good"))]
