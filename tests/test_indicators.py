"""Period indicators: one pass per period for the whole city, rolled up, ranked, compared, and read by bulletins."""
import datetime as dt
import json

from click.testing import CliRunner
from flask.cli import ScriptInfo

import pytest
from sqlalchemy import func, select

from core import bulletins, demo, indicator_pass, periods
from core.cli import cli
from core.extensions import db as database
from core.models import IndicatorRun, IndicatorValue, Organization, WorkUnit
from core.plugins import host
from factories import member, org_tree

TODAY = dt.date(2026, 11, 20)

# indicator key -> (bulletin section key, figure name) that the per-scope queries computed before.
FIGURES = {
    "core.members": ("core.coverage", "在册党员"), "core.unclaimed": ("core.coverage", "未认领"),
    "core.findings_opened": ("core.findings", "新发现问题"), "core.findings_resolved": ("core.findings", "已整改问题"),
    "core.findings_live": ("core.findings", "待处理问题"),
    "core.in_service": ("core.employer", "在职党员"), "core.located": ("core.employer", "已报到"),
    "direct.zones": ("direct.summary", "责任区"), "direct.cards_valid": ("direct.summary", "有效责任卡"),
    "direct.pairings": ("direct.summary", "在帮结对"), "direct.visits": ("direct.summary", "本期走访"),
    "direct.five_good": ("direct.summary", "五好全部达标"),
    "dual.registration_rate": ("dual.employer", "报到率（%）"),
    "dual.residents": ("dual.community", "在职党员"), "dual.registered": ("dual.community", "已报到"),
    "dual.service_times": ("dual.community", "服务人次"),
    "joint.retirees": ("joint.retirees", "离退休党员"), "joint.visits": ("joint.care", "走访人次"),
    "joint.hardships_resolved": ("joint.care", "解决困难"), "joint.hardships_open": ("joint.care", "尚未解决困难"),
    "takeover.new": ("takeover.summary", "新接管"), "takeover.trainings": ("takeover.summary", "技能培训"),
    "takeover.referrals": ("takeover.summary", "就业推荐"), "takeover.reemployment_rate": ("takeover.summary", "再就业率"),
    "assist.inflow": ("assist.mobile", "流入党员"), "assist.outflow": ("assist.mobile", "流出党员"),
    "assist.contacts": ("assist.mobile", "本期联系次数"), "assist.lost": ("assist.mobile", "失联党员"),
}
SERVICE_HOURS = {"employer": ("dual.employer", "服务时长"), "community": ("dual.community", "服务时长"),
                 "street": ("dual.community", "服务时长")}


@pytest.fixture
def loaded(db):
    return demo.load(today=TODAY)


def stored(period, **where):
    return database.session.scalars(select(IndicatorValue).filter_by(period=period, **where)).all()


def old_figures(kind, scope, label):
    """What a bulletin's sections computed for themselves, scope by scope, before the table existed."""
    period = periods.parse(label)
    org = database.session.get(Organization, int(scope[4:])) if scope.startswith("org:") else None
    unit = database.session.get(WorkUnit, int(scope[5:])) if scope.startswith("unit:") else None
    ctx = bulletins.BulletinContext(kind=kind, scope=scope, period=period, previous=period.previous(), org=org,
                                    unit=unit, today=TODAY)
    sections = [*bulletins.core_sections(ctx), *host().collect("wuguan_bulletin_sections", ctx=ctx)]
    return {(s.key, str(name)): value for s in sections for name, value in s.figures.items()}


def test_the_table_holds_what_each_bulletin_computed_for_itself_on_the_demo_city(db, loaded):
    indicator_pass.compute("2026-10", today=TODAY)
    compared = 0
    for kind in ("community", "street", "employer"):
        for scope, _org, _unit in bulletins.scopes(kind):
            figures = old_figures(kind, scope, "2026-10")
            for row in stored("2026-10", scope=scope):
                where = SERVICE_HOURS[kind] if row.indicator == "dual.service_hours" else FIGURES[row.indicator]
                if where in figures:
                    expected = figures[where] if row.value is not None else 0
                    assert (row.value or 0) == pytest.approx(expected), (kind, scope, row.indicator)
                    compared += 1
    assert compared > 1000


def test_a_street_is_the_sum_of_its_communities_and_a_rate_pools_them(db, loaded):
    indicator_pass.compute("2026-10", today=TODAY)
    for key in ("core.members", "direct.visits", "takeover.reemployment_rate", "dual.service_hours"):
        communities = stored("2026-10", level="community", indicator=key)
        (city,) = stored("2026-10", level="city", indicator=key)
        for whole, parts in [(city, communities), *[(street, [c for c in communities if c.parent_id == street.org_id])
                                                     for street in stored("2026-10", level="street", indicator=key)]]:
            assert parts
            if whole.numerator is None:
                assert whole.value == pytest.approx(sum(c.value for c in parts)), key
            else:
                numerator, denominator = sum(c.numerator for c in parts), sum(c.denominator for c in parts)
                assert (whole.numerator, whole.denominator) == (numerator, denominator), key
                assert whole.value == (round(100 * numerator / denominator, 1) if denominator else None), key


def _small_city(db):
    tree = org_tree()
    third = Organization(kind="community", name="新华社区党委", code="C3", parent=tree["street"])
    unit = WorkUnit(name="金川集团", kind="state_owned")
    db.session.add_all([third, unit])
    db.session.commit()
    # Three members in each of C1 and C2 (a tie), one in C3.
    db.session.add_all([member(tree, location=tree["community"]), member(tree, location=tree["community"]),
                        member(tree, location=tree["other"], liaison_group=None),
                        member(tree, location=tree["other"], liaison_group=None),
                        member(tree, location=tree["other"], liaison_group=None),
                        member(tree, location=third, liaison_group=None),
                        member(tree, category="in_service", work_unit=unit)])
    db.session.commit()
    return tree, third, unit


def test_ties_share_a_rank_and_the_next_rank_skips(db):
    tree, third, _unit = _small_city(db)
    indicator_pass.compute("2026-10", today=TODAY)
    ranks = {row.org_id: (row.rank, row.peers, row.city_rank, row.city_peers)
             for row in stored("2026-10", level="community", indicator="core.members")}
    assert ranks[tree["community"].id] == (1, 3, 1, 3)
    assert ranks[tree["other"].id] == (1, 3, 1, 3)
    assert ranks[third.id] == (3, 3, 3, 3)
    unclaimed = {row.org_id: row.rank for row in stored("2026-10", level="community", indicator="core.unclaimed")}
    assert set(unclaimed.values()) == {1}  # nobody unclaimed anywhere: all first, lower being better


def test_recomputing_a_period_changes_nothing(db):
    _small_city(db)
    indicator_pass.compute("2026-09", today=TODAY)
    indicator_pass.compute("2026-10", today=TODAY)

    def snapshot():
        return sorted((r.indicator, r.scope, r.value, r.numerator, r.denominator, r.rank, r.peers, r.city_rank,
                       r.previous) for r in stored("2026-10"))
    before = snapshot()
    assert any(row[-1] is not None for row in before)  # the previous period's values are linked
    indicator_pass.compute("2026-10", today=TODAY)
    assert snapshot() == before
    assert database.session.scalar(select(func.count()).select_from(IndicatorValue)
                                   .where(IndicatorValue.period == "2026-10")) == len(before)


def test_the_previous_value_is_linked_whichever_period_is_computed_first(db):
    tree, _third, _unit = _small_city(db)
    indicator_pass.compute("2026-10", today=TODAY)
    indicator_pass.compute("2026-09", today=TODAY)
    row = stored("2026-10", scope=f"org:{tree['community'].id}", indicator="core.members")[0]
    assert row.previous == 3.0


def _run(app, *args):
    return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False)


@pytest.mark.parametrize("args, message", [
    (("--period", "2026-13"), "期间格式"), (("--period", "2099-01"), "尚未开始"),
    (("--period", "2026-10", "--org", "NOPE"), "组织编码NOPE不存在")])
def test_bad_input_is_refused_in_chinese_and_writes_nothing(app, db, args, message):
    _small_city(db)
    result = _run(app, "indicators", *args)
    assert result.exit_code != 0 and message in result.output
    assert database.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0
    assert database.session.scalar(select(func.count()).select_from(IndicatorRun)) == 0


def test_the_command_computes_the_city_and_shows_one_scope(app, db):
    tree, _third, _unit = _small_city(db)
    result = _run(app, "indicators", "--period", "2026-10", "--org", "C1", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["scope"] == f"org:{tree['community'].id}"
    members = next(f for f in shown["indicators"] if f["indicator"] == "core.members")
    assert (members["value"], members["rank"], members["peers"]) == (3, 1, 3)
    assert database.session.scalar(select(func.count()).select_from(IndicatorValue)
                                   .where(IndicatorValue.level == "city")) > 0
    text = _run(app, "indicators", "--period", "2026-10").output
    assert "core.members" in text and "在册党员 7名" in text


def test_the_beat_computes_each_period_before_its_bulletins(app, db):
    from workers import schedule, tasks
    entries = schedule.build()
    for kind in ("month", "quarter", "year"):
        indicators, bulletin = entries[f"indicators-{kind}"], entries[f"bulletins-{kind}"]
        assert indicators["task"] == "wuguan.compute_indicators" and indicators["args"] == (kind,)
        assert (indicators["schedule"].day_of_month, indicators["schedule"].month_of_year) \
            == (bulletin["schedule"].day_of_month, bulletin["schedule"].month_of_year)
        assert min(indicators["schedule"].hour) < min(bulletin["schedule"].hour)
    _small_city(db)
    assert tasks.compute_indicators.run("month", "2026-10") > 0  # the task body, in the test app
    assert database.session.get(IndicatorRun, "2026-10") is not None
