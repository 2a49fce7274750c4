"""The check sweep: core's checks, reconciliation with findings, failures, scope, statement counts."""
import datetime as dt

import pytest
from sqlalchemy import event, select

from core import sweep
from core.errors import ValidationError
from core.extensions import db as database
from core.models import Activity, Attendance, AuditEntry, Finding, Staff, SweepRun, Transfer
from core.plugin_api import Check
from core.sweep import Scope, run_sweep
from factories import member, org_tree

TODAY = dt.date(2026, 11, 2)


def _findings(code):
    return {f.subject_id: f for f in database.session.scalars(select(Finding).where(Finding.check_code == code))}


def _attend(org, m, day):
    activity = Activity(org=org, kind="theme_day", held_on=day, topic="主题党日")
    activity.attendance.append(Attendance(member=m, present=True))
    database.session.add(activity)


def test_core_checks_find_the_gaps_they_name(db):
    tree = org_tree()
    fine = member(tree)
    no_group = member(tree, liaison_group=None)
    stray = member(tree, category="astronaut")
    due = member(tree, status="probationary", confirmed_on=None, joined_on=dt.date(2025, 11, 20))
    overdue = member(tree, status="probationary", confirmed_on=None, joined_on=dt.date(2025, 10, 1))
    extended = member(tree, status="probationary", confirmed_on=None, joined_on=dt.date(2025, 10, 1),
                      probation_extension_months=6)
    silent3 = member(tree)
    silent5 = member(tree)
    silent7 = member(tree)
    db.session.add_all([fine, no_group, stray, due, overdue, extended, silent3, silent5, silent7])
    db.session.flush()
    for m in (fine, no_group, stray, due, overdue, extended):
        _attend(tree["branch"], m, TODAY - dt.timedelta(days=20))
    _attend(tree["branch"], silent3, dt.date(2026, 7, 15))
    _attend(tree["branch"], silent5, dt.date(2026, 5, 20))
    _attend(tree["branch"], silent7, dt.date(2026, 3, 1))
    letter = Transfer(member=fine, direction="out", from_org=tree["branch"], to_org_name="兰州市某党委",
                      within_city=False, letter_no="JC-2026-001", issued_on=dt.date(2026, 9, 1))
    received = Transfer(member=silent3, direction="out", from_org=tree["branch"], to_org_name="兰州市某党委",
                        within_city=False, letter_no="JC-2026-002", issued_on=dt.date(2026, 9, 1),
                        state="completed")
    db.session.add_all([letter, received])
    db.session.commit()

    run = run_sweep(today=TODAY)

    assert run.state == "succeeded" and run.failures == 0
    assert set(_findings("core.no_liaison_group")) == {no_group.id}
    assert set(_findings("core.unclassified")) == {stray.id}
    assert _findings("core.unclassified")[stray.id].detail == "类别“astronaut”未被任何已启用的管理方式认领"
    probation = _findings("core.probation_due")
    assert set(probation) == {due.id, overdue.id}
    assert "已满" in probation[overdue.id].detail and "30天内" in probation[due.id].detail
    assert set(_findings("core.transfer_unreceived")) == {letter.id}
    assert _findings("core.transfer_unreceived")[letter.id].subject_type == "transfer"
    assert _findings("core.transfer_unreceived")[letter.id].detail == "介绍信JC-2026-001已于2026-10-01过期，未见回执"
    assert probation[overdue.id].detail == "预备期已满，尚未讨论转正（入党日期2025-10-01）"
    lapse = _findings("core.lapse_warning")
    assert set(lapse) == {silent3.id, silent5.id, silent7.id}
    assert "3个月" in lapse[silent3.id].detail
    assert "5个月" in lapse[silent5.id].detail
    assert "自行脱党" in lapse[silent7.id].detail
    assert all(f.org_id == tree["community"].id for f in lapse.values())
    assert run.stats["core.lapse_warning"]["new"] == 3 and run.stats["core.lapse_warning"]["open"] == 3


def test_reconciliation_opens_keeps_resolves_and_reopens_one_row(db):
    tree = org_tree()
    a, b = member(tree, liaison_group=None), member(tree, liaison_group=None)
    db.session.add_all([a, b])
    db.session.commit()

    first = run_sweep(today=TODAY, codes={"core.no_liaison_group"})
    assert first.stats["core.no_liaison_group"] | {"ms": 0} == {
        "rows": 2, "new": 2, "resolved": 0, "open": 2, "ms": 0, "plugin": "core", "severity": "warning"}
    seen = _findings("core.no_liaison_group")[a.id].first_seen

    again = run_sweep(today=TODAY, codes={"core.no_liaison_group"})
    assert (again.stats["core.no_liaison_group"]["new"], again.stats["core.no_liaison_group"]["open"]) == (0, 2)
    assert _findings("core.no_liaison_group")[a.id].first_seen == seen

    a.liaison_group = tree["group"]
    db.session.commit()
    third = run_sweep(today=TODAY, codes={"core.no_liaison_group"})
    assert third.stats["core.no_liaison_group"]["resolved"] == 1
    assert _findings("core.no_liaison_group")[a.id].state == "resolved"

    a.liaison_group = None
    db.session.commit()
    fourth = run_sweep(today=TODAY, codes={"core.no_liaison_group"})
    assert fourth.stats["core.no_liaison_group"]["new"] == 1
    rows = db.session.scalars(select(Finding).where(Finding.subject_id == a.id)).all()
    assert len(rows) == 1 and rows[0].state == "open" and rows[0].resolved_at is None


def test_a_raising_check_is_recorded_and_the_rest_still_run(db, monkeypatch):
    tree = org_tree()
    db.session.add(member(tree, liaison_group=None))
    db.session.commit()

    def broken(ctx):
        raise RuntimeError("数据库视图不存在")

    monkeypatch.setattr(sweep.core_checks, "CHECKS",
                        [Check(code="core.broken", title="坏检查", severity="info", query=broken),
                         *sweep.core_checks.CHECKS])
    run = run_sweep(today=TODAY)
    stored = db.session.get(SweepRun, run.id)
    assert stored.state == "partial" and stored.failures == 1
    assert "数据库视图不存在" in stored.stats["core.broken"]["error"]
    assert stored.stats["core.no_liaison_group"]["open"] == 1
    assert stored.finished_at is not None


def test_a_subtree_sweep_leaves_other_communities_alone(db):
    tree = org_tree()
    here = member(tree, liaison_group=None)
    there = member(tree, liaison_group=None, location=tree["other"])
    db.session.add_all([here, there])
    db.session.commit()
    run_sweep(today=TODAY, codes={"core.no_liaison_group"})
    here.liaison_group = tree["group"]
    there.location = tree["community"]
    there.liaison_group = tree["group"]
    db.session.commit()

    run_sweep(Scope.subtree(tree["other"]), today=TODAY, codes={"core.no_liaison_group"})
    findings = _findings("core.no_liaison_group")
    assert findings[there.id].state == "resolved"
    assert findings[here.id].state == "open", "outside the swept subtree nothing resolves"


def test_fan_out_parts_add_up_to_the_city(db):
    tree = org_tree()
    db.session.add_all([member(tree, liaison_group=None), member(tree, liaison_group=None, location=tree["other"]),
                        member(tree, liaison_group=None, location=None, affiliation=tree["street"])])
    db.session.commit()
    parent_id, communities = sweep.plan_city_sweep()
    assert communities == [tree["community"].id, tree["other"].id]
    for org_id in [*communities, None]:
        sweep.sweep_part(parent_id, org_id, today=TODAY)
    parent = sweep.finish_city_sweep(parent_id)
    assert parent.stats["core.no_liaison_group"]["open"] == 3
    assert parent.state == "succeeded"
    assert len(_findings("core.no_liaison_group")) == 3


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


def test_statements_per_sweep_do_not_grow_with_members(db):
    tree = org_tree()

    def add(n):
        database.session.add_all([member(tree, liaison_group=None, status="probationary", confirmed_on=None,
                                         joined_on=dt.date(2025, 11, 20)) for _ in range(n)])
        database.session.commit()

    add(5)
    run_sweep(today=TODAY)
    small = _count_statements(lambda: run_sweep(today=TODAY))
    add(60)
    large = _count_statements(lambda: run_sweep(today=TODAY))
    assert small == large
    assert len(_findings("core.no_liaison_group")) == 65


def test_staff_acknowledge_and_waive_with_a_reason(db):
    tree = org_tree()
    m = member(tree, liaison_group=None)
    staff = Staff(username="he", display_name="何书记", role="community", org=tree["community"], password_hash="x")
    db.session.add_all([m, staff])
    db.session.commit()
    run_sweep(today=TODAY)
    finding = _findings("core.no_liaison_group")[m.id]

    with pytest.raises(ValidationError):
        sweep.decide_finding(finding.id, "waived", staff, reason="  ")
    sweep.decide_finding(finding.id, "waived", staff, reason="长期在外地就医，暂不编组")
    assert (finding.state, finding.decided_by_id) == ("waived", staff.id)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "finding")).one()
    assert entry.actor == "he" and entry.after["state"] == "waived"

    run_sweep(today=TODAY)
    assert _findings("core.no_liaison_group")[m.id].state == "waived", "a sweep keeps the staff's decision"


def test_the_run_sweep_fixture_returns_live_findings(run_sweep):
    tree = org_tree()
    m = member(tree, liaison_group=None)
    database.session.add(m)
    database.session.commit()
    assert run_sweep(today=TODAY, codes=["core.no_liaison_group"]) == {"core.no_liaison_group": {m.id: "未编入楼寓党员联络小组"}}


def test_runs_left_by_a_dead_worker_are_marked_failed_and_their_rows_dropped(db):
    from core.models import FindingHit
    old = SweepRun(scope="city", state="running", started_at=dt.datetime(2026, 11, 1, 2, 0), stats={})
    db.session.add(old)
    db.session.commit()
    db.session.add(FindingHit(run_id=old.id, check_code="core.no_liaison_group", subject_id=1, detail=""))
    db.session.commit()
    assert sweep.abandon_stale_runs(now=dt.datetime(2026, 11, 1, 3, 0)) == 0
    assert sweep.abandon_stale_runs(now=dt.datetime(2026, 11, 1, 9, 0)) == 1
    db.session.refresh(old)
    assert old.state == "failed"
    assert db.session.scalar(select(database.func.count()).select_from(FindingHit)) == 0
