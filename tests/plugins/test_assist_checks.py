"""协管 checks: each finds the row it should and not the one it should not; the 6-month boundary both sides."""
import datetime as dt

import pytest
from sqlalchemy import event

from core import rules
from core.models import Organization, Transfer
from core.sweep import run_sweep as sweep
from factories import member, org_tree
from plugins.assist.models import Card, Contact, MobileRecord, Station, TempRelation

TODAY = dt.date(2026, 11, 16)


@pytest.fixture
def tree(db):
    return org_tree()


def record(db, tree, name, since, direction="out", contacts=True, **fields):
    person = member(tree, name=name, category="mobile_out" if direction == "out" else "mobile_in")
    rec = MobileRecord(member=person, direction=direction, other_org_name="兰州市城关区某社区党委", place="兰州市",
                       since=since, **fields)
    db.session.add(rec)
    db.session.flush()
    if contacts:
        for party in ("member", "inflow_org" if direction == "out" else "outflow_org"):
            db.session.add(Contact(record=rec, contacted_on=TODAY - dt.timedelta(days=10), party=party,
                                   method="phone"))
        db.session.add(Contact(record=rec, contacted_on=dt.date(2026, 3, 1), party="member", method="letter",
                               is_report=True))
    db.session.commit()
    return rec


def found(run_sweep, code):
    return run_sweep(today=TODAY, codes=[code]).get(code, {})


def test_no_contact_for_90_days_with_the_member_or_180_with_the_other_side(tree, db, run_sweep):
    fresh = record(db, tree, "甲", dt.date(2025, 1, 1))
    quiet = record(db, tree, "乙", dt.date(2025, 1, 1), contacts=False)
    db.session.add_all([Contact(record=quiet, contacted_on=TODAY - dt.timedelta(days=91), party="member", method="phone"),
                        Contact(record=quiet, contacted_on=TODAY - dt.timedelta(days=10), party="inflow_org",
                                method="phone")])
    org_quiet = record(db, tree, "丙", dt.date(2025, 1, 1), contacts=False)
    db.session.add_all([Contact(record=org_quiet, contacted_on=TODAY - dt.timedelta(days=5), party="member",
                                method="phone"),
                        Contact(record=org_quiet, contacted_on=TODAY - dt.timedelta(days=181), party="inflow_org",
                                method="phone"),
                        # the outflow org is this side, not the other: it does not count for an outflow member
                        Contact(record=org_quiet, contacted_on=TODAY, party="outflow_org", method="phone")])
    edge = record(db, tree, "丁", dt.date(2025, 1, 1), contacts=False)
    db.session.add_all([Contact(record=edge, contacted_on=TODAY - dt.timedelta(days=90), party="member", method="phone"),
                        Contact(record=edge, contacted_on=TODAY - dt.timedelta(days=180), party="inflow_org",
                                method="phone")])
    db.session.commit()
    hits = found(run_sweep, "assist.no_contact")
    assert set(hits) == {quiet.member_id, org_quiet.member_id}
    assert "90天未与党员本人联系" in hits[quiet.member_id] and "对方党组织" in hits[org_quiet.member_id]
    assert fresh.member_id not in hits and edge.member_id not in hits


def test_six_months_without_card_or_temporary_relationship_both_sides_of_the_boundary(tree, db, run_sweep):
    exactly = record(db, tree, "满六个月", rules.add_months(TODAY, -6))
    short = record(db, tree, "差一天", rules.add_months(TODAY, -6) + dt.timedelta(days=1))
    with_card = record(db, tree, "有证", dt.date(2025, 1, 1))
    with_relation = record(db, tree, "有临时关系", dt.date(2025, 1, 1))
    expired_card = record(db, tree, "证已过期", dt.date(2025, 1, 1))
    db.session.add_all([
        Card(number="C1", member_id=with_card.member_id, issuing_org=tree["community"], issued_on=dt.date(2026, 1, 1),
             valid_until=dt.date(2026, 12, 31)),
        TempRelation(member_id=with_relation.member_id, branch_name="兰州某社区党支部", started_on=dt.date(2025, 2, 1)),
        Card(number="C2", member_id=expired_card.member_id, issuing_org=tree["community"],
             issued_on=dt.date(2025, 1, 1), valid_until=dt.date(2025, 12, 31))])
    db.session.commit()
    hits = found(run_sweep, "assist.six_months_no_arrangement")
    assert set(hits) == {exactly.member_id, expired_card.member_id}
    assert short.member_id not in hits and "满6个月" in hits[exactly.member_id]


def test_card_expired_unless_renewed_or_returned(tree, db, run_sweep):
    people = {n: record(db, tree, n, dt.date(2025, 1, 1)).member_id for n in ("过期", "已换发", "已收回", "今天到期")}
    c = tree["community"]
    expired = Card(number="E1", member_id=people["过期"], issuing_org=c, issued_on=dt.date(2025, 1, 1),
                   valid_until=TODAY - dt.timedelta(days=1))
    db.session.add_all([
        expired,
        Card(number="R1", member_id=people["已换发"], issuing_org=c, issued_on=dt.date(2025, 1, 1),
             valid_until=dt.date(2025, 12, 31)),
        Card(number="R2", member_id=people["已换发"], issuing_org=c, issued_on=dt.date(2026, 1, 1),
             valid_until=dt.date(2026, 12, 31)),
        Card(number="B1", member_id=people["已收回"], issuing_org=c, issued_on=dt.date(2025, 1, 1),
             valid_until=dt.date(2025, 12, 31), returned_on=dt.date(2026, 1, 5)),
        Card(number="T1", member_id=people["今天到期"], issuing_org=c, issued_on=dt.date(2025, 11, 16),
             valid_until=TODAY)])
    db.session.commit()
    hits = found(run_sweep, "assist.card_expired")
    assert set(hits) == {expired.id} and "E1" in hits[expired.id]


def test_settled_elsewhere_until_the_relationship_has_moved(tree, db, run_sweep):
    settled = record(db, tree, "定居", dt.date(2024, 1, 1), settled=True)
    moved = record(db, tree, "已转走", dt.date(2024, 1, 1), settled=True)
    temporary_only = record(db, tree, "仅临时关系", dt.date(2024, 1, 1), settled=True)
    not_settled = record(db, tree, "未定居", dt.date(2024, 1, 1))
    letter = Transfer(member_id=moved.member_id, direction="out", from_org=tree["branch"], to_org_name="兰州某社区党委",
                      letter_no="L1", issued_on=dt.date(2026, 5, 1), state="completed",
                      received_on=dt.date(2026, 5, 3), receipt_returned_on=dt.date(2026, 5, 9))
    temp_letter = Transfer(member_id=temporary_only.member_id, direction="out", from_org=tree["branch"],
                           to_org_name="兰州某社区党支部", letter_no="L2", issued_on=dt.date(2026, 5, 1),
                           state="received", received_on=dt.date(2026, 5, 3))
    db.session.add_all([letter, temp_letter,
                        TempRelation(member_id=temporary_only.member_id, branch_name="兰州某社区党支部",
                                     started_on=dt.date(2026, 5, 1), transfer=temp_letter)])
    db.session.commit()
    hits = found(run_sweep, "assist.settled_not_transferred")
    assert set(hits) == {settled.member_id, temporary_only.member_id}
    assert not_settled.member_id not in hits and "定居" in hits[settled.member_id]


def test_yearly_report_missing_for_outflow_members_away_since_before_this_year(tree, db, run_sweep):
    reported = record(db, tree, "已报告", dt.date(2025, 1, 1))
    silent = record(db, tree, "未报告", dt.date(2025, 1, 1), contacts=False)
    last_year = record(db, tree, "去年报告", dt.date(2025, 1, 1), contacts=False)
    db.session.add(Contact(record=last_year, contacted_on=dt.date(2025, 12, 30), party="member", method="letter",
                           is_report=True))
    new_this_year = record(db, tree, "今年外出", dt.date(2026, 3, 1), contacts=False)
    inflow = record(db, tree, "流入", dt.date(2025, 1, 1), direction="in", contacts=False)
    db.session.commit()
    hits = found(run_sweep, "assist.yearly_report_missing")
    assert set(hits) == {silent.member_id, last_year.member_id}
    assert {reported.member_id, new_this_year.member_id, inflow.member_id}.isdisjoint(hits)


def test_group_without_branch_needs_three_members(tree, db, run_sweep):
    org = Organization(kind="mobile_station", name="和平社区流动党员管理站", code="C1M1", parent=tree["community"])
    db.session.add(org)
    db.session.commit()
    three = Station(name="新疆管理站", place="乌鲁木齐", org=org)
    two = Station(name="深圳管理站", place="深圳", org=org)
    db.session.add_all([three, two])
    db.session.commit()
    for i in range(3):
        record(db, tree, f"新{i}", dt.date(2026, 1, 1), station_id=three.id)
    for i in range(2):
        record(db, tree, f"深{i}", dt.date(2026, 1, 1), station_id=two.id)
    record(db, tree, "深已返回", dt.date(2026, 1, 1), station_id=two.id, state="returned")
    hits = found(run_sweep, "assist.group_without_branch")
    assert set(hits) == {three.id} and "3名" in hits[three.id]


def test_check_statements_do_not_grow_with_rows(tree, db):
    from core.extensions import db as database
    codes = [c for c in ("assist.no_contact", "assist.six_months_no_arrangement", "assist.card_expired",
                         "assist.settled_not_transferred", "assist.yearly_report_missing",
                         "assist.group_without_branch")]

    def count():
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            sweep(today=TODAY, codes=set(codes))
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        return len(seen)

    record(db, tree, "一", dt.date(2025, 1, 1), settled=True)
    small = count()
    for i in range(15):
        record(db, tree, f"多{i}", dt.date(2025, 1, 1), contacts=False, settled=True)
    assert count() == small
