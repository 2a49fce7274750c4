"""共管 checks: each finds the row it should and not the one it should not; set-based; firing on the demo set."""
import datetime as dt
import itertools

from sqlalchemy import event, func, select

from core import idcard
from core.extensions import db as database
from core.models import WorkUnit
from factories import member, org_tree
from plugins.joint.models import JointAgreement, JointHardship, JointHardshipAction, JointProfile, JointVisit

TODAY = dt.date(2026, 11, 20)
_seq = itertools.count(1)


def retiree(tree, born=dt.date(1960, 5, 17), **fields):
    return member(tree, birth_date=born, id_number=idcard.make_number("620302", born, next(_seq), "female"),
                  **fields)


def days_ago(n):
    return TODAY - dt.timedelta(days=n)


def test_no_former_unit_finds_retirees_without_a_unit_or_its_contact(db, run_sweep):
    tree = org_tree()
    unit = WorkUnit(name="金川集团", kind="state_owned")
    complete, no_profile, no_contact, unit_on_member, resident = (
        retiree(tree, name="齐全"), retiree(tree, name="无档案"), retiree(tree, name="无联系人"),
        retiree(tree, name="单位在党员信息", work_unit=unit), retiree(tree, name="居民", category="resident"))
    db.session.add_all([unit, complete, no_profile, no_contact, unit_on_member, resident])
    db.session.flush()
    db.session.add_all([JointProfile(member=complete, former_unit=unit, unit_contact="赵主任", health="good"),
                        JointProfile(member=no_contact, former_unit=unit, unit_contact=" ", health="good")])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["joint.no_former_unit"])["joint.no_former_unit"]
    assert found == {no_profile.id: "未登记原单位", no_contact.id: "未登记原单位联系人",
                     unit_on_member.id: "未登记原单位联系人"}


def test_visit_due_for_the_old_and_frail_after_90_days_and_for_anyone_after_a_year(db, run_sweep):
    tree = org_tree()
    old_late = retiree(tree, name="高龄久未走访", born=dt.date(1944, 1, 2))
    old_recent = retiree(tree, name="高龄近期走访", born=dt.date(1944, 1, 3))
    turning_80_today = retiree(tree, name="今天满80", born=dt.date(1946, 11, 20))
    young_fine = retiree(tree, name="年轻半年前走访", born=dt.date(1960, 1, 2))
    young_late = retiree(tree, name="年轻一年多未走访", born=dt.date(1960, 1, 3))
    frail = retiree(tree, name="卧床", born=dt.date(1960, 1, 4))
    never = retiree(tree, name="从未走访", born=dt.date(1960, 1, 5))
    gone = retiree(tree, name="已去世", born=dt.date(1940, 1, 5), state="deceased")
    everyone = [old_late, old_recent, turning_80_today, young_fine, young_late, frail, never, gone]
    db.session.add_all(everyone)
    db.session.flush()
    db.session.add(JointProfile(member=frail, health="bedridden", former_unit=None))
    for person, ago in [(old_late, 91), (old_recent, 89), (turning_80_today, 100), (young_fine, 200),
                        (young_late, 366), (frail, 120), (gone, 400)]:
        db.session.add(JointVisit(member=person, visited_on=days_ago(ago), visitors="社区书记", occasion="routine"))
    db.session.add(JointVisit(member=young_late, visited_on=days_ago(700), visitors="社区书记", occasion="routine"))
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["joint.visit_due"])["joint.visit_due"]
    assert set(found) == {old_late.id, turning_80_today.id, young_late.id, frail.id, never.id}
    assert found[never.id] == "从未走访慰问"
    assert "90天内未走访" in found[old_late.id] and days_ago(91).isoformat() in found[old_late.id]
    assert found[young_late.id] == f"一年内未走访（上次走访{days_ago(366).isoformat()}）"


def test_visit_due_thresholds_are_settings(app, db, run_sweep):
    tree = org_tree()
    old = retiree(tree, born=dt.date(1944, 1, 2))
    db.session.add(old)
    db.session.flush()
    db.session.add(JointVisit(member=old, visited_on=days_ago(60), visitors="社区书记", occasion="routine"))
    db.session.commit()
    settings = app.config["PLUGINS"]["joint"]
    before = dict(settings)
    try:
        settings["priority_visit_days"] = 30
        assert set(run_sweep(today=TODAY, codes=["joint.visit_due"])["joint.visit_due"]) == {old.id}
        settings["priority_visit_days"] = 90
        assert "joint.visit_due" not in run_sweep(today=TODAY, codes=["joint.visit_due"])
    finally:
        settings.clear()
        settings.update(before)


def test_hardship_open_without_action_after_30_days(db, run_sweep):
    tree = org_tree()
    person = retiree(tree, name="困难党员")
    db.session.add(person)
    db.session.flush()
    stale = JointHardship(member=person, kind="housing", reported_on=days_ago(31), state="open")
    acted = JointHardship(member=person, kind="income", reported_on=days_ago(60), state="in_progress",
                          actions=[JointHardshipAction(acted_on=days_ago(50), action="申请临时救助")])
    fresh = JointHardship(member=person, kind="care", reported_on=days_ago(29), state="open")
    resolved = JointHardship(member=person, kind="illness", reported_on=days_ago(90), state="resolved",
                             resolved_on=days_ago(80))
    db.session.add_all([stale, acted, fresh, resolved])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["joint.hardship_open"])["joint.hardship_open"]
    assert found == {stale.id: f"困难党员反映的困难（{days_ago(31).isoformat()}）超过30天未采取措施"}


def test_agreement_past_its_review_date(db, run_sweep):
    tree = org_tree()
    unit = WorkUnit(name="金昌市人民医院", kind="institution")
    past = JointAgreement(org=tree["community"], work_unit=unit, signed_on=dt.date(2024, 1, 1),
                          review_on=days_ago(1))
    future = JointAgreement(org=tree["other"], work_unit=unit, signed_on=dt.date(2024, 1, 1), review_on=TODAY)
    db.session.add_all([unit, past, future])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=["joint.agreement_review"])["joint.agreement_review"]
    assert found == {past.id: f"共管协议应于{days_ago(1).isoformat()}复核，尚未复核"}
    from core.models import Finding
    assert db.session.scalar(select(Finding.org_id).where(Finding.check_code == "joint.agreement_review")) \
        == tree["community"].id


def _count_statements(action):
    counter = []

    def count(conn, cursor, statement, parameters, context, executemany):
        counter.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return len(counter)


def test_statements_per_check_do_not_grow_with_retirees(db, run_sweep):
    tree = org_tree()
    unit = WorkUnit(name="金川集团", kind="state_owned")
    db.session.add(unit)
    codes = ["joint.no_former_unit", "joint.visit_due", "joint.hardship_open", "joint.agreement_review"]

    def add(n):
        people = [retiree(tree, born=dt.date(1940 + i % 20, 3, 1)) for i in range(n)]
        db.session.add_all(people)
        db.session.flush()
        for i, person in enumerate(people):
            db.session.add(JointProfile(member=person, health="poor" if i % 2 else "bedridden"))
            db.session.add(JointVisit(member=person, visited_on=days_ago(100 + i), visitors="甲", occasion="routine"))
            db.session.add(JointHardship(member=person, kind="other", reported_on=days_ago(40), state="open"))
            db.session.add(JointAgreement(org=tree["community"], work_unit=unit, signed_on=dt.date(2024, 1, 1),
                                          review_on=days_ago(i + 1)))
        db.session.commit()

    add(3)
    run_sweep(today=TODAY, codes=codes)
    small = _count_statements(lambda: run_sweep(today=TODAY, codes=codes))
    add(40)
    large = _count_statements(lambda: run_sweep(today=TODAY, codes=codes))
    found = run_sweep(today=TODAY, codes=codes)
    assert small == large
    assert {code: len(found[code]) for code in codes} == {code: 43 for code in codes}


def test_demo_data_fills_the_plugin_and_every_check_fires(make_app):
    app = make_app()
    with app.app_context():
        from core import demo
        from core.extensions import db
        from core.models import Member
        from core.sweep import run_sweep
        from core.models import Finding
        loaded = demo.load(today=TODAY)
        retired = loaded.members["retired"]
        assert len(retired) == 927
        assert db.session.scalar(select(func.count()).select_from(JointProfile)) == 927
        health = dict(db.session.execute(select(JointProfile.health, func.count()).group_by(JointProfile.health)).all())
        assert set(health) == {"good", "fair", "poor", "bedridden"} and health["good"] > health["bedridden"]
        visited = db.session.scalar(select(func.count(func.distinct(JointVisit.member_id))))
        assert 800 < visited < 927
        assert db.session.scalar(select(func.count()).select_from(JointHardship)) > 30
        assert db.session.scalar(select(func.count()).select_from(JointAgreement)) >= 36
        units = db.session.scalar(select(func.count(func.distinct(JointProfile.former_unit_id))))
        assert units > 10
        ages = db.session.execute(select(func.min(Member.birth_date), func.max(Member.birth_date))
                                  .where(Member.category == "retired")).one()
        assert TODAY.year - ages[0].year >= 85 and TODAY.year - ages[1].year <= 65
        run_sweep(today=TODAY)
        fired = dict(db.session.execute(select(Finding.check_code, func.count()).where(
            Finding.check_code.like("joint.%")).group_by(Finding.check_code)).all())
        assert set(fired) == {"joint.no_former_unit", "joint.visit_due", "joint.hardship_open",
                              "joint.agreement_review"}
        assert fired["joint.visit_due"] < 927 // 3
