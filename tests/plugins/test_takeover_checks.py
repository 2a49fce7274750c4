"""接管's checks: each finds the member it should and not the one it should not; set-based SQL."""
import datetime as dt

from sqlalchemy import event

from core.extensions import db as database
from core.models import Activity, Attendance, Transfer
from factories import member, org_tree
from plugins.takeover.models import FiveOnes, Referral, TakeoverRecord

TODAY = dt.date(2026, 11, 2)


def days_ago(n, today=TODAY):
    return today - dt.timedelta(days=n)


def attend(org, m, day):
    activity = Activity(org=org, kind="theme_day", held_on=day, topic="主题党日")
    activity.attendance.append(Attendance(member=m, present=True))
    database.session.add(activity)


def record(m, tree, arrived, branch=True):
    return TakeoverRecord(member=m, reason=m.category, from_unit="金昌市纺织厂", arrived_on=arrived,
                          taken_over_on=arrived + dt.timedelta(days=3) if branch else None,
                          branch=tree["branch"] if branch else None, assigned_by="王书记" if branch else None)


def five(m, year, n):
    keys = ["life_meeting", "thought_report", "skill", "job", "contribution"][:n]
    values = {f"{k}_on": dt.date(year, 3, 1) for k in keys}
    values.update({f"{k}_evidence": "记录" for k in keys})
    return FiveOnes(member=m, year=year, **values)


def test_not_assigned_finds_members_without_a_branch_30_days_after_arrival(db, run_sweep):
    tree = org_tree()
    late = member(tree, name="迟编", category="laid_off")
    recent = member(tree, name="新到", category="graduate")
    placed = member(tree, name="已编", category="contract_ended")
    by_letter = member(tree, name="信到", category="demobilized")
    unknown = member(tree, name="刚建", category="laid_off")
    retired = member(tree, name="退休", category="retired")
    db.session.add_all([late, recent, placed, by_letter, unknown, retired])
    db.session.flush()
    db.session.add_all([record(late, tree, days_ago(40), branch=False),
                        record(recent, tree, days_ago(10), branch=False),
                        record(placed, tree, days_ago(100)),
                        Transfer(member=by_letter, direction="in", from_org_name="兰州市某党委", to_org=tree["community"],
                                 within_city=False, letter_no="IN-1", issued_on=days_ago(50), received_on=days_ago(45),
                                 state="received")])
    db.session.commit()

    found = run_sweep(today=TODAY, codes=["takeover.not_assigned"]).get("takeover.not_assigned", {})

    assert set(found) == {late.id, by_letter.id}
    assert found[late.id] == "组织关系转入已满30天，仍未编入党支部（漏管）"


def test_not_assigned_threshold_is_a_setting(db, run_sweep, app, monkeypatch):
    tree = org_tree()
    late = member(tree, category="laid_off")
    db.session.add(late)
    db.session.flush()
    db.session.add(record(late, tree, days_ago(40), branch=False))
    db.session.commit()
    monkeypatch.setitem(app.config["PLUGINS"]["takeover"], "assign_within_days", 60)
    assert run_sweep(today=TODAY, codes=["takeover.not_assigned"]).get("takeover.not_assigned", {}) == {}


def test_pocket_member_finds_unreceived_letters_and_idle_members(db, run_sweep):
    tree = org_tree()
    idle = member(tree, name="挂名", category="graduate")
    active = member(tree, name="常来", category="graduate")
    arrived = member(tree, name="已到", category="contract_ended")
    retired_idle = member(tree, name="退休", category="retired")
    pocket = member(tree, name="口袋", category="laid_off")  # attends, so only the letter makes him a finding
    db.session.add_all([pocket, idle, active, arrived, retired_idle])
    db.session.flush()
    db.session.add_all([
        Transfer(member=pocket, direction="in", from_org_name="武威市某党委", to_org=tree["community"],
                 within_city=False, letter_no="IN-P", issued_on=days_ago(90)),
        Transfer(member=arrived, direction="in", from_org_name="武威市某党委", to_org=tree["community"],
                 within_city=False, letter_no="IN-A", issued_on=days_ago(90), received_on=days_ago(85),
                 state="received"),
    ])
    for m in (pocket, active, arrived):
        attend(tree["branch"], m, days_ago(30))
    attend(tree["branch"], idle, days_ago(220))
    attend(tree["branch"], retired_idle, days_ago(220))
    db.session.commit()

    found = run_sweep(today=TODAY, codes=["takeover.pocket_member"]).get("takeover.pocket_member", {})

    assert set(found) == {pocket.id, idle.id}
    assert found[pocket.id] == "转入介绍信IN-P已开具，过期仍未接收（口袋党员）"
    assert found[idle.id] == "组织关系在本社区，但6个月未参加组织生活（挂名党员）"


def test_five_ones_behind_mid_year_and_at_year_end(db, run_sweep):
    tree = org_tree()
    none, one, two, four, five_done = (member(tree, name=n, category="laid_off")
                                       for n in ("零项", "一项", "两项", "四项", "五项"))
    retired = member(tree, name="退休", category="retired")
    db.session.add_all([none, one, two, four, five_done, retired])
    db.session.flush()
    db.session.add_all([five(one, 2026, 1), five(two, 2026, 2), five(four, 2025, 4), five(five_done, 2025, 5),
                        five(two, 2025, 5), five(one, 2025, 5)])
    db.session.commit()

    before_mid = run_sweep(today=dt.date(2026, 6, 29), codes=["takeover.five_ones_behind"])
    assert before_mid.get("takeover.five_ones_behind", {}) == {}

    mid = run_sweep(today=TODAY, codes=["takeover.five_ones_behind"])["takeover.five_ones_behind"]
    assert set(mid) == {none.id, one.id, four.id, five_done.id}  # four and five_done have nothing for 2026
    assert mid[one.id] == "2026年“五个一”完成1项，应至少完成2项"

    year_end = run_sweep(today=dt.date(2025, 12, 31), codes=["takeover.five_ones_behind"])["takeover.five_ones_behind"]
    assert set(year_end) == {none.id, four.id}
    assert year_end[four.id] == "2025年“五个一”完成4项，应至少完成5项"


def test_employed_not_reclassified_after_30_days(db, run_sweep):
    tree = org_tree()
    stuck = member(tree, name="已就业", category="laid_off")
    fresh = member(tree, name="刚就业", category="laid_off")
    declined = member(tree, name="未录用", category="graduate")
    moved = member(tree, name="已转", category="in_service")
    db.session.add_all([stuck, fresh, declined, moved])
    db.session.flush()
    for m, outcome, day in ((stuck, "hired", 40), (fresh, "hired", 10), (declined, "declined", 40),
                            (moved, "hired", 40)):
        db.session.add(Referral(member=m, employer="金川集团", post="操作工", referred_on=days_ago(day + 5),
                                outcome=outcome, outcome_on=days_ago(day)))
    db.session.commit()

    found = run_sweep(today=TODAY, codes=["takeover.employed_not_reclassified"])["takeover.employed_not_reclassified"]

    assert set(found) == {stuck.id}
    assert found[stuck.id] == f"已于{days_ago(40).isoformat()}经推荐就业，超过30天仍未调整党员类别"


def test_statements_per_check_do_not_grow_with_members(db, app):
    from core.sweep import run_sweep
    tree = org_tree()

    def add(n):
        for _ in range(n):
            m = member(tree, category="laid_off")
            db.session.add(m)
            db.session.flush()
            db.session.add_all([record(m, tree, days_ago(60), branch=False), five(m, 2026, 1),
                                Referral(member=m, employer="金川集团", referred_on=days_ago(60), outcome="hired",
                                         outcome_on=days_ago(50))])
        db.session.commit()

    def statements():
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            run_sweep(today=TODAY, codes={"takeover.not_assigned", "takeover.pocket_member",
                                          "takeover.five_ones_behind", "takeover.employed_not_reclassified"})
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        return len(seen)

    add(2)
    few = statements()
    add(25)
    assert statements() == few
