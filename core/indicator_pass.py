"""The period pass: every indicator, for every scope of the city, computed once per period.

One statement per indicator and base level (community, employer, branch), whatever the
number of members or scopes; streets and the city are sums of their communities' rows, so
a rate rolls up pooled from numerator and denominator. Ranks and the change against the
previous period are then computed from the stored rows in a fixed number of statements.
A pass replaces the period's rows of the indicators it computes, in one transaction, so
running it again changes nothing and a failing one leaves the period as it was; rows of
indicators no longer loaded (a plugin disabled since) stay, readable, and are not touched.
"""
from collections import defaultdict
from dataclasses import dataclass, field
import datetime as dt
from functools import cached_property
import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import String, and_, bindparam, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from . import periods, rules
from .bulk import insert_rows
from .contract import LEVELS, Indicator
from .errors import ValidationError
from .extensions import db
from .models import IndicatorRun, IndicatorValue, Member, Organization
from .models.base import utcnow
from .plugins import host

log = logging.getLogger("wuguan.indicators")
BASE_LEVELS = ("community", "employer", "branch")  # what a query is asked for; streets and the city add up


@dataclass(frozen=True)
class IndicatorContext:
    """What an indicator's query may read: the period (and the one before), its plugin's settings, and
    the level whose scopes it groups by, with the joins that give each row its scope."""
    period: periods.Period
    previous: periods.Period
    today: dt.date
    level: str
    settings: dict = field(default_factory=dict)

    @cached_property
    def communities(self):
        """(org_id, community_id): every organization that lies in a community, the community included."""
        org, community = aliased(Organization), aliased(Organization)
        upper = func.substr(community.path, 1, func.length(community.path) - 1, type_=String) + "/"
        return (select(org.id.label("org_id"), community.id.label("community_id"))
                .join(community, and_(community.kind == "community", org.path >= community.path, org.path < upper))
                .subquery("community_of"))

    @property
    def scope_id(self):
        """The column to select as `scope_id` and group by."""
        if self.level == "community":
            return self.communities.c.community_id
        if self.level == "employer":
            return Member.work_unit_id
        return Member.affiliation_id

    def by_member(self, statement):
        """Give a statement over Member its scope: where the member lives (or belongs, when that is
        not recorded), their employer, or their branch; the same members a bulletin of that scope covers."""
        if self.level == "community":
            return statement.join(self.communities,
                                  self.communities.c.org_id == func.coalesce(Member.location_id, Member.affiliation_id))
        if self.level == "employer":
            return statement.where(Member.work_unit_id.is_not(None))
        return statement.where(Member.affiliation_id.in_(select(Organization.id).where(Organization.kind == "branch")))

    def by_org(self, statement, column):
        """Give a statement over a table of organization-held records (`column`, an org id) its community."""
        if self.level != "community":
            raise ValueError(f"by_org serves community-level indicators, not {self.level!r}")
        return statement.join(self.communities, self.communities.c.org_id == column)


@dataclass(frozen=True)
class RegisteredIndicator:
    plugin: str
    indicator: Indicator


def registered_indicators():
    """Core's indicators, then each loaded plugin's; a key is unique and its levels are known ones."""
    from .indicators import INDICATORS
    found = [RegisteredIndicator("core", i) for i in INDICATORS]
    found += [RegisteredIndicator(name, i) for name, i in host().collect_by_plugin("wuguan_indicators")]
    seen = {}
    for item in found:
        if not isinstance(item.indicator, Indicator):
            raise TypeError(f"plugin {item.plugin} returned {item.indicator!r} from wuguan_indicators, not an Indicator")
        unknown = set(item.indicator.levels) - set(LEVELS)
        if unknown or not item.indicator.levels:
            raise ValueError(f"indicator {item.indicator.key}: levels must be some of {LEVELS}")
        if item.indicator.key in seen:
            raise ValueError(f"indicator key {item.indicator.key!r} is used by {seen[item.indicator.key]} and {item.plugin}")
        seen[item.indicator.key] = item.plugin
    return found


def check_request(period_label, org_code=None, today=None):
    """The period and organization asked for, or a ValidationError saying in Chinese what is wrong."""
    today = today or utcnow().date()
    period = periods.parse(period_label)
    if period.start > today:
        raise ValidationError.single("period", _("期间%(p)s尚未开始，不能计算指标", p=period.label))
    org = None
    if org_code is not None:
        org = db.session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            raise ValidationError.single("org", _("组织编码%(code)s不存在", code=org_code))
    return period, org


def compute(period_label, today=None):
    """Compute the period for the whole city; returns the number of rows written."""
    today = today or utcnow().date()
    period, _org = check_request(period_label, today=today)
    items = registered_indicators()
    streets = _streets_of_communities()
    communities = sorted(streets)
    units = _employers()
    rows = []
    for item in items:
        rows += _rows_of(item, period, today, streets, communities, units)
    keys = [item.indicator.key for item in items]
    db.session.execute(delete(IndicatorValue).where(IndicatorValue.period == period.label,
                                                    IndicatorValue.indicator.in_(keys)))
    insert_rows(db.session, IndicatorValue.__table__, rows)
    _rank(period.label)
    _link_previous(period.label, period.previous().label)
    following = _following(period)
    _link_previous(following.label, period.label)
    db.session.merge(IndicatorRun(period=period.label, computed_at=utcnow(), indicators=keys))
    db.session.commit()
    log.info("indicators %s: %d rows", period.label, len(rows))
    return len(rows)


def ensure(period_label, today=None):
    """Compute a period that never was (what a bulletin asks for its own period and the one before)."""
    if db.session.get(IndicatorRun, period_label) is not None:
        return False
    try:
        compute(period_label, today=today)
    except IntegrityError:  # another worker computed it meanwhile
        db.session.rollback()
        return False
    return True


def stored(scope, period_label):
    """{indicator key: IndicatorValue} of one scope and period: one indexed read."""
    return {row.indicator: row for row in db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.scope == scope, IndicatorValue.period == period_label))}


def _following(period):
    months = {"month": 1, "quarter": 3, "year": 12}[period.kind]
    return periods.Period(period.kind, period.end, rules.add_months(period.end, months))


def _streets_of_communities():
    """{community id: its street's id (None outside any street)}: one statement."""
    community, street = aliased(Organization), aliased(Organization)
    upper = func.substr(street.path, 1, func.length(street.path) - 1, type_=String) + "/"
    found = dict(db.session.execute(
        select(community.id, street.id).outerjoin(street, and_(street.kind == "street", community.path >= street.path,
                                                              community.path < upper))
        .where(community.kind == "community")).all())
    return found


def _employers():
    """Units with active members: the scopes of employers' bulletins, each ranked even with nothing to show."""
    return sorted(db.session.scalars(select(Member.work_unit_id).where(Member.state == "active",
                                                                       Member.work_unit_id.is_not(None)).distinct()))


def _rows_of(item, period, today, streets, communities, units):
    indicator = item.indicator
    settings = current_app.config["RULES"] if item.plugin == "core" else current_app.config["PLUGINS"].get(item.plugin, {})
    common = {"period": period.label, "indicator": indicator.key, "plugin": item.plugin, "title": str(indicator.title),
              "unit": str(indicator.unit), "higher_is_better": indicator.higher_is_better, "rank": None,
              "peers": None, "city_rank": None, "city_peers": None, "previous": None}
    rows = []
    for level in BASE_LEVELS:
        wanted = level in indicator.levels or (level == "community" and "street" in indicator.levels)
        if not wanted:
            continue
        ctx = IndicatorContext(period=period, previous=period.previous(), today=today, level=level,
                               settings=dict(settings))
        statement = indicator.query(ctx)
        rate = "numerator" in statement.selected_columns.keys()
        result = db.session.execute(statement).mappings().all()
        figures = {row["scope_id"]: _figure(row, rate) for row in result if row["scope_id"] is not None}
        if level == "community":
            scopes = [(c, figures.get(c, _zero(rate))) for c in communities]
            if "community" in indicator.levels:
                rows += [_row(common, "community", f"org:{c}", f, rate, org_id=c, parent_id=streets[c])
                         for c, f in scopes]
            if "street" in indicator.levels:
                per_street = defaultdict(lambda: _zero(rate))
                for c, f in scopes:
                    if streets[c] is not None:
                        per_street[streets[c]] = _add(per_street[streets[c]], f)
                rows += [_row(common, "street", f"org:{s}", f, rate, org_id=s) for s, f in sorted(per_street.items())]
            city = _zero(rate)
            for _c, f in scopes:
                city = _add(city, f)
            rows.append(_row(common, "city", "city", city, rate))
        elif level == "employer":
            rows += [_row(common, "employer", f"unit:{u}", figures.get(u, _zero(rate)), rate, work_unit_id=u)
                     for u in units]
        else:
            rows += [_row(common, "branch", f"org:{b}", f, rate, org_id=b) for b, f in sorted(figures.items())]
    return rows


def _figure(row, rate):
    if rate:
        return (float(row["numerator"] or 0), float(row["denominator"] or 0))
    return (float(row["value"] or 0),)


def _zero(rate):
    return (0.0, 0.0) if rate else (0.0,)


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def _row(common, level, scope, figure, rate, org_id=None, work_unit_id=None, parent_id=None):
    if rate:
        numerator, denominator = figure
        value = round(100.0 * numerator / denominator, 1) if denominator else None
    else:
        numerator = denominator = None
        value = round(figure[0], 1)
    return {**common, "level": level, "scope": scope, "org_id": org_id, "work_unit_id": work_unit_id,
            "parent_id": parent_id, "value": value, "numerator": numerator, "denominator": denominator}


def _rank(period_label):
    """Ranks among peers (a community in its street, streets, employers and branches in the city) and, for
    communities, in the city: 1 + how many did strictly better, so ties share a rank. One SELECT, one UPDATE."""
    v = IndicatorValue
    better_first = case((v.higher_is_better, -v.value), else_=v.value)
    peers_of = (v.indicator, v.level, v.parent_id)
    city_of = (v.indicator, v.level)
    ranked = db.session.execute(
        select(v.id,
               func.rank().over(partition_by=peers_of, order_by=better_first).label("rank"),
               func.count().over(partition_by=peers_of).label("peers"),
               func.rank().over(partition_by=city_of, order_by=better_first).label("city_rank"),
               func.count().over(partition_by=city_of).label("city_peers"))
        .where(v.period == period_label, v.value.is_not(None), v.level != "city")).all()
    db.session.execute(update(v).where(v.period == period_label).values(rank=None, peers=None, city_rank=None,
                                                                       city_peers=None))
    if ranked:
        db.session.execute(
            update(v.__table__).where(v.__table__.c.id == bindparam("row_id"))
            .values(rank=bindparam("r"), peers=bindparam("p"), city_rank=bindparam("cr"), city_peers=bindparam("cp")),
            [{"row_id": i, "r": r, "p": p, "cr": cr, "cp": cp} for i, r, p, cr, cp in ranked])


def _link_previous(period_label, previous_label):
    """Each row's previous value: the same indicator and scope one period before (one correlated UPDATE)."""
    prior = aliased(IndicatorValue)
    db.session.execute(
        update(IndicatorValue).where(IndicatorValue.period == period_label)
        .values(previous=select(prior.value).where(prior.period == previous_label,
                                                  prior.indicator == IndicatorValue.indicator,
                                                  prior.scope == IndicatorValue.scope).scalar_subquery())
        .execution_options(synchronize_session=False))
