"""双管: each check finds the row it should and not the one it should not; statements do not grow with rows."""
import datetime as dt

import pytest
from sqlalchemy import event, update

from core.extensions import db as database
from core.models import Member, Organization, WorkUnit
from factories import member, org_tree
from plugins.dual.models import Evaluation, Feedback, OpinionRequest, Post, Registration, Service
from plugins.dual.rules import PAIR_BASE

TODAY = dt.date(2026, 11, 29)
LONG_AGO = dt.datetime(2025, 1, 1)
DUAL_CODES = ["dual.unregistered", "dual.no_service", "dual.evaluation_missing", "dual.feedback_due",
              "dual.opinion_overdue", "dual.post_unfilled"]
_cards = iter(range(1, 100000))


def in_service(tree, unit, name, **fields):
    values = dict(name=name, category="in_service", work_unit=unit, affiliation=None)
    values.update(fields)
    return member(tree, **values)


def register(person, community, on, post=None, **fields):
    return Registration(member=person, org=community, registered_on=on, card_no=f"LXK{next(_cards):05d}",
                        post=post, **fields)


def arrived(*people, when=LONG_AGO):
    database.session.execute(update(Member).where(Member.id.in_([p.id for p in people])).values(created_at=when))
    database.session.commit()


@pytest.fixture
def world(db):
    tree = org_tree()
    unit = WorkUnit(name="金川集团", kind="state_owned", email="party@jnmc.example")
    other_unit = WorkUnit(name="金昌市人民医院", kind="institution", email="party@hospital.example")
    db.session.add_all([unit, other_unit])
    db.session.commit()
    return tree, unit, other_unit


def test_unregistered_finds_members_living_here_past_the_grace_period(world, run_sweep, db):
    tree, unit, _ = world
    registered, missing, newcomer = (in_service(tree, unit, n) for n in ("已报到", "未报到", "新来的"))
    elsewhere = in_service(tree, unit, "报到在别处")
    db.session.add_all([registered, missing, newcomer, elsewhere])
    db.session.commit()
    db.session.add_all([register(registered, tree["community"], dt.date(2025, 3, 1)),
                        register(elsewhere, tree["other"], dt.date(2025, 3, 1))])
    db.session.commit()
    arrived(registered, missing, elsewhere)
    arrived(newcomer, when=dt.datetime(2026, 11, 20))
    found = run_sweep(today=TODAY, codes=["dual.unregistered"]).get("dual.unregistered", {})
    assert set(found) == {missing.id, elsewhere.id}
    assert "尚未到社区报到" in found[missing.id]


def test_no_service_finds_registered_members_without_hours_this_quarter(world, run_sweep, db):
    tree, unit, _ = world
    busy, idle, recent = (in_service(tree, unit, n) for n in ("有服务", "无服务", "刚报到"))
    db.session.add_all([busy, idle, recent])
    db.session.commit()
    db.session.add_all([register(busy, tree["community"], dt.date(2025, 3, 1)),
                        register(idle, tree["community"], dt.date(2025, 3, 1)),
                        register(recent, tree["community"], TODAY - dt.timedelta(days=10)),
                        Service(member=busy, org=tree["community"], served_on=dt.date(2026, 11, 1),
                                activity="治安巡逻", hours=2),
                        Service(member=idle, org=tree["community"], served_on=dt.date(2026, 9, 20),
                                activity="治安巡逻", hours=2)])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["dual.no_service"]).get("dual.no_service", {})
    assert set(found) == {idle.id}
    assert "2026年第4季度" in found[idle.id]
    # Early in a quarter the quarter before is the one looked at: the September service counts.
    early = run_sweep(today=dt.date(2026, 10, 20), codes=["dual.no_service"]).get("dual.no_service", {})
    assert idle.id not in early


def test_evaluation_missing_after_the_period_ends(world, run_sweep, db):
    tree, unit, _ = world
    rated, unrated, joined_this_year = (in_service(tree, unit, n) for n in ("已评价", "未评价", "今年报到"))
    db.session.add_all([rated, unrated, joined_this_year])
    db.session.commit()
    db.session.add_all([register(rated, tree["community"], dt.date(2024, 5, 1)),
                        register(unrated, tree["community"], dt.date(2024, 5, 1)),
                        register(joined_this_year, tree["community"], dt.date(2026, 2, 1))])
    db.session.commit()
    db.session.add(Evaluation(member=rated, org=tree["community"], period="2025", grade="qualified"))
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["dual.evaluation_missing"]).get("dual.evaluation_missing", {})
    assert set(found) == {unrated.id}
    assert "2025年度" in found[unrated.id]


def test_feedback_due_per_community_and_unit_after_the_quarter(world, run_sweep, db):
    tree, unit, other_unit = world
    a, b = in_service(tree, unit, "集团党员"), in_service(tree, other_unit, "医院党员")
    db.session.add_all([a, b])
    db.session.commit()
    db.session.add_all([register(a, tree["community"], dt.date(2025, 3, 1)),
                        register(b, tree["community"], dt.date(2025, 3, 1)),
                        Feedback(org=tree["community"], work_unit=other_unit, period="2026-Q3", content="表现良好",
                                 sent_on=dt.date(2026, 10, 10))])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["dual.feedback_due"]).get("dual.feedback_due", {})
    assert set(found) == {tree["community"].id * PAIR_BASE + unit.id}
    assert "金川集团" in found[tree["community"].id * PAIR_BASE + unit.id]
    # Within 15 days of the quarter's end the Q3 feedback is not yet due.
    db.session.add(Feedback(org=tree["community"], work_unit=unit, period="2026-Q2", content="表现良好",
                            sent_on=dt.date(2026, 7, 10)))
    db.session.add(Feedback(org=tree["community"], work_unit=other_unit, period="2026-Q2", content="表现良好",
                            sent_on=dt.date(2026, 7, 10)))
    db.session.commit()
    assert run_sweep(today=dt.date(2026, 10, 12), codes=["dual.feedback_due"]).get("dual.feedback_due", {}) == {}


def test_opinion_overdue_after_fifteen_days(world, run_sweep, db):
    tree, unit, _ = world
    person = in_service(tree, unit, "拟提拔")
    db.session.add(person)
    db.session.commit()
    late = OpinionRequest(member=person, org=tree["community"], work_unit=unit, received_on=TODAY - dt.timedelta(days=20))
    fresh = OpinionRequest(member=person, org=tree["community"], work_unit=unit, received_on=TODAY - dt.timedelta(days=5))
    answered = OpinionRequest(member=person, org=tree["community"], work_unit=unit,
                              received_on=TODAY - dt.timedelta(days=30), answered_on=TODAY - dt.timedelta(days=25),
                              opinion="同意")
    db.session.add_all([late, fresh, answered])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["dual.opinion_overdue"]).get("dual.opinion_overdue", {})
    assert set(found) == {late.id}


def test_post_unfilled_counts_registered_claimants(world, run_sweep, db):
    tree, unit, _ = world
    short = Post(org=tree["community"], name="治安巡逻", needed=2)
    full = Post(org=tree["community"], name="政策宣传", needed=1)
    people = [in_service(tree, unit, f"岗位{i}") for i in range(3)]
    db.session.add_all([short, full, *people])
    db.session.commit()
    db.session.add_all([register(people[0], tree["community"], dt.date(2025, 1, 1), post=short),
                        register(people[1], tree["community"], dt.date(2025, 1, 1), post=full),
                        register(people[2], tree["community"], dt.date(2025, 1, 1), post=short, state="left",
                                 left_on=dt.date(2025, 6, 1))])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["dual.post_unfilled"]).get("dual.post_unfilled", {})
    assert set(found) == {short.id}
    assert found[short.id] == "岗位“治安巡逻”需要2人，现有1人"


def _population(tree, unit, n, start):
    people = [in_service(tree, unit, f"人{start + i}") for i in range(n)]
    database.session.add_all(people)
    database.session.commit()
    posts = [Post(org=tree["community"], name=f"岗{start + i}", needed=3) for i in range(n)]
    database.session.add_all(posts)
    database.session.commit()
    for i, person in enumerate(people):
        database.session.add(register(person, tree["community"], dt.date(2024, 1, 1), post=posts[i]))
        database.session.add(OpinionRequest(member=person, org=tree["community"], work_unit=unit,
                                            received_on=TODAY - dt.timedelta(days=30)))
    database.session.add_all([in_service(tree, unit, f"未{start + i}") for i in range(n)])
    database.session.commit()
    arrived(*database.session.query(Member).all())


def test_statements_per_check_do_not_grow_with_rows(world, db):
    from core.sweep import run_sweep
    tree, unit, _ = world

    def statements():
        count = [0]

        def tally(*args):
            count[0] += 1
        event.listen(db.engine, "before_cursor_execute", tally)
        try:
            run = run_sweep(today=TODAY, codes=set(DUAL_CODES))
        finally:
            event.remove(db.engine, "before_cursor_execute", tally)
        return count[0], {code: run.stats[code]["rows"] for code in DUAL_CODES}

    _population(tree, unit, 2, 0)
    small, small_rows = statements()
    _population(tree, unit, 12, 100)
    large, large_rows = statements()
    assert small == large
    assert all(large_rows[c] > small_rows[c] for c in ("dual.unregistered", "dual.no_service",
                                                       "dual.evaluation_missing", "dual.opinion_overdue",
                                                       "dual.post_unfilled"))


def test_feedback_due_in_a_city_whose_community_ids_pass_32_bits_of_pairs(world, run_sweep, db):
    tree, unit, _ = world
    # In a city of a million members there are tens of thousands of organizations.
    community = Organization(id=30000, kind="community", name="龙首社区党委", code="C30000", parent=tree["street"])
    db.session.add(community)
    db.session.commit()
    person = in_service(tree, unit, "集团党员", location=community, liaison_group=None)
    db.session.add(person)
    db.session.commit()
    db.session.add(register(person, community, dt.date(2025, 3, 1)))
    db.session.commit()
    subject = 30000 * PAIR_BASE + unit.id
    assert subject > 2**31
    found = run_sweep(today=TODAY, codes=["dual.feedback_due"]).get("dual.feedback_due", {})
    assert set(found) == {subject}
