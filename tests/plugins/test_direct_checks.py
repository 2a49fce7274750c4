"""直管 checks: each finds the row it should and not the one it should not; set-based statement counts."""
import datetime as dt

from sqlalchemy import event

from core.extensions import db as database
from factories import member, org_tree
from plugins.direct.models import Card, Pairing, Rating, Visit, Zone, ZoneBuilding, ZoneResponsible

TODAY = dt.date(2026, 11, 20)
CODES = {"direct.no_zone", "direct.zone_unstaffed", "direct.card_expired", "direct.pairing_no_visit",
         "direct.rating_missing"}


def resident(tree, **fields):
    return member(tree, category="resident", **fields)


def card(tree, m, number, year, **fields):
    return Card(community=tree["community"], member=m, number=number, year=year,
                issued_on=dt.date(year, 1, 10), role_policy=True, **fields)


def test_no_zone_finds_residents_with_neither_zone_nor_card(db, run_sweep):
    tree = org_tree()
    bare, carded, responsible = resident(tree, name="无卡"), resident(tree, name="有卡"), resident(tree, name="责任")
    retired = member(tree, name="退休")  # another mode's member: not this check's business
    gone = resident(tree, name="转出", state="transferred_out")
    zone = Zone(community=tree["community"], name="第一责任区", responsibles=[ZoneResponsible(member=responsible)])
    db.session.add_all([bare, carded, responsible, retired, gone, zone, card(tree, carded, "C1-001", 2026)])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=CODES)
    assert set(found["direct.no_zone"]) == {bare.id}
    assert found["direct.no_zone"][bare.id] == "未负责任何党员责任区，也未领取责任卡"


def test_zone_unstaffed_finds_zones_without_an_active_responsible(db, run_sweep):
    tree = org_tree()
    active, gone = resident(tree), resident(tree, state="deceased")
    staffed = Zone(community=tree["community"], name="甲区", responsibles=[ZoneResponsible(member=active)])
    orphaned = Zone(community=tree["community"], name="乙区", responsibles=[ZoneResponsible(member=gone)])
    empty = Zone(community=tree["community"], name="丙区")
    db.session.add_all([active, gone, staffed, orphaned, empty])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=CODES)
    assert set(found["direct.zone_unstaffed"]) == {orphaned.id, empty.id}
    assert found["direct.zone_unstaffed"][empty.id] == "责任区“丙区”没有在册的责任党员"


def test_card_expired_finds_cards_not_renewed_for_the_year(db, run_sweep):
    tree = org_tree()
    renewed, stale, never = resident(tree), resident(tree), resident(tree)
    db.session.add_all([renewed, stale, never, card(tree, renewed, "A-1", 2025), card(tree, renewed, "A-2", 2026),
                        card(tree, stale, "B-1", 2025)])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=CODES)
    assert set(found["direct.card_expired"]) == {stale.id}
    assert found["direct.card_expired"][stale.id] == "责任卡有效期至2025年，未换发2026年度责任卡"
    # In the first days of January last year's card still counts (card_renewal_grace_days).
    assert "direct.card_expired" not in run_sweep(today=dt.date(2026, 1, 15), codes=CODES)


def test_pairing_no_visit_finds_active_pairings_without_a_recent_visit(db, run_sweep):
    tree = org_tree()
    helper = resident(tree)
    visited = Pairing(member=helper, household_name="王大妈", difficulty="elderly_alone",
                      started_on=dt.date(2026, 1, 5), visits=[Visit(visited_on=dt.date(2026, 10, 1), done="走访")])
    quiet = Pairing(member=helper, household_name="李大爷", difficulty="illness", started_on=dt.date(2026, 1, 5),
                    visits=[Visit(visited_on=dt.date(2026, 9, 1), done="走访")])
    never = Pairing(member=helper, household_name="赵家", difficulty="low_income", started_on=dt.date(2026, 8, 1))
    ended = Pairing(member=helper, household_name="钱家", difficulty="other", started_on=dt.date(2025, 1, 5),
                    ended_on=dt.date(2026, 6, 30))
    new = Pairing(member=helper, household_name="孙家", difficulty="disabled", started_on=dt.date(2026, 11, 1))
    db.session.add_all([helper, visited, quiet, never, ended, new])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=CODES)
    assert set(found["direct.pairing_no_visit"]) == {quiet.id, never.id}
    assert found["direct.pairing_no_visit"][quiet.id] == "与李大爷户结对帮扶，自2026-09-01起已超过60天未走访"
    assert visited.visits[0].member_id == helper.id  # a visit is scoped like its pairing's member


def test_rating_missing_finds_residents_unrated_after_the_deadline(db, run_sweep):
    tree = org_tree()
    rated, unrated, newcomer = resident(tree), resident(tree), resident(tree, joined_on=dt.date(2026, 3, 1),
                                                                        confirmed_on=None, status="probationary")
    only_this_year = resident(tree)
    db.session.add_all([rated, unrated, newcomer, only_this_year, Rating(member=rated, year=2025, good_member=True),
                        Rating(member=only_this_year, year=2026, good_member=True)])
    db.session.commit()
    found = run_sweep(today=TODAY, codes=CODES)
    assert set(found["direct.rating_missing"]) == {unrated.id, only_this_year.id}
    assert found["direct.rating_missing"][unrated.id] == "2025年度争五好评定截止日2025-12-31已过，尚未评定"


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


def test_statements_per_sweep_do_not_grow_with_rows(db, run_sweep):
    tree = org_tree()
    n = iter(range(1, 1000))

    def add(count):
        for _ in range(count):
            m = resident(tree)
            k = next(n)
            zone = Zone(community=tree["community"], name=f"区{k}", buildings=[ZoneBuilding(building=f"{k}号楼")])
            pairing = Pairing(member=m, household_name="某户", difficulty="other", started_on=dt.date(2026, 1, 1),
                              visits=[Visit(visited_on=dt.date(2026, 2, 1), done="走访")])
            db.session.add_all([m, zone, pairing, card(tree, m, f"N{k}", 2025)])
        db.session.commit()

    add(2)
    run_sweep(today=TODAY, codes=CODES)
    small = _count_statements(lambda: run_sweep(today=TODAY, codes=CODES))
    add(30)
    found = {}
    large = _count_statements(lambda: found.update(run_sweep(today=TODAY, codes=CODES)))
    assert small == large
    assert {code: len(rows) for code, rows in found.items()} == {
        "direct.zone_unstaffed": 32, "direct.card_expired": 32, "direct.pairing_no_visit": 32,
        "direct.rating_missing": 32}
