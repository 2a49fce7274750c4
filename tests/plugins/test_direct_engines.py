"""直管 reminders (dedup), bulletin section (its numbers) and demo data (every check fires on it)."""
import datetime as dt

from sqlalchemy import func, select

from core import bulletins, demo, reminders
from core.models import Bulletin, OutboxMessage, Staff
from factories import member, org_tree
from plugins.direct.models import Card, Pairing, Rating, Visit, Zone, ZoneBuilding, ZoneResponsible

# 2026-11-02 is a Monday; 09:00 in Shanghai is 01:00 UTC.
MONDAY_9AM = dt.datetime(2026, 11, 2, 1, 0)
JANUARY = dt.datetime(2026, 1, 5, 1, 0)


def resident(tree, **fields):
    return member(tree, category="resident", **fields)


def staffer(db, username, org):
    staff = Staff(username=username, display_name=username, role="community", org=org)
    staff.set_password("x" * 12)
    db.session.add(staff)
    return staff


def _rows(code):
    from core.extensions import db
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule_code == code)
                              .order_by(OutboxMessage.recipient)).all()


def test_a_due_visit_is_reminded_once_to_the_helper_and_the_communitys_staff(app, db):
    tree = org_tree()
    tree["community"].email = "heping@example.org"
    helper, other = resident(tree, name="刘红"), resident(tree, name="陈明")
    due = Pairing(member=helper, household_name="王大妈", difficulty="elderly_alone", started_on=dt.date(2026, 1, 5),
                  visits=[Visit(visited_on=dt.date(2026, 9, 1), done="走访")])
    fresh = Pairing(member=other, household_name="李大爷", difficulty="illness", started_on=dt.date(2026, 1, 5),
                    visits=[Visit(visited_on=dt.date(2026, 10, 20), done="走访")])
    db.session.add_all([helper, other, due, fresh,
                        Card(community=tree["community"], member=helper, number="C-1", year=2026,
                             issued_on=dt.date(2026, 1, 8), role_liaison=True, email="liuhong@example.org")])
    staffer(db, "heping1", tree["community"])
    staffer(db, "jianshe1", tree["other"])
    db.session.commit()

    reminders.decide("direct.visit_due", now=MONDAY_9AM)
    reminders.decide("direct.visit_due_staff", now=MONDAY_9AM)
    (mail,) = _rows("direct.visit_due")
    assert mail.recipient == "liuhong@example.org" and mail.channel == "email"
    assert mail.dedup_key == f"visit:{due.id}:2026-09-01" and mail.org_id == tree["community"].id
    assert mail.subject == "请走访结对帮扶对象王大妈户" and "自2026-09-01以来已满45天" in mail.body
    (inbox,) = _rows("direct.visit_due_staff")
    assert (inbox.recipient, inbox.channel) == ("heping1", "inbox") and "刘红" in inbox.subject

    # A week later nothing new; a new visit restarts the clock, and only its own lapse is reminded again.
    assert reminders.decide("direct.visit_due", now=MONDAY_9AM + dt.timedelta(days=7)) == []
    assert reminders.decide("direct.visit_due_staff", now=MONDAY_9AM + dt.timedelta(days=7)) == []
    db.session.add(Visit(pairing=due, visited_on=dt.date(2026, 11, 3), done="再次走访"))
    db.session.commit()
    assert reminders.decide("direct.visit_due", now=dt.datetime(2026, 12, 21, 1, 0)) != []
    keys = [row.dedup_key for row in _rows("direct.visit_due")]
    # 陈明 has no address of their own: the reminder goes to his community's staff, one row each.
    assert sorted(keys) == sorted([f"visit:{due.id}:2026-09-01", f"visit:{due.id}:2026-11-03",
                                   f"visit:{fresh.id}:2026-10-20:heping1"])


def test_the_visit_reminder_goes_by_the_helpers_own_channel_and_never_to_the_community_mailbox(app, db):
    tree = org_tree()
    tree["community"].email = "heping@example.org"
    by_sms = resident(tree, name="短信", mobile="13800001111", email="duanxin@example.org", preferred_channel="sms")
    by_mail = resident(tree, name="邮件", email="youjian@example.org")
    nowhere = resident(tree, name="无址")
    db.session.add_all([by_sms, by_mail, nowhere,
                        *(Pairing(member=m, household_name=f"{m.name}家", difficulty="other",
                                  started_on=dt.date(2026, 6, 1)) for m in (by_sms, by_mail, nowhere))])
    staffer(db, "heping1", tree["community"])
    db.session.commit()
    reminders.decide("direct.visit_due", now=MONDAY_9AM)
    assert sorted((row.channel, row.recipient) for row in _rows("direct.visit_due")) == [
        ("email", "youjian@example.org"), ("inbox", "heping1"), ("sms", "13800001111")]
    (inbox,) = [row for row in _rows("direct.visit_due") if row.channel == "inbox"]
    assert inbox.body.startswith("（党员无址未登记手机和电子邮箱，请代为转告。）")


def test_cards_to_renew_go_to_the_communitys_staff_once_a_year(app, db):
    tree = org_tree()
    stale, renewed, never = resident(tree), resident(tree), resident(tree)
    db.session.add_all([stale, renewed, never])
    for m, number, year in ((stale, "C-1", 2025), (renewed, "C-2", 2025), (renewed, "C-3", 2026)):
        db.session.add(Card(community=tree["community"], member=m, number=number, year=year,
                            issued_on=dt.date(year, 1, 2), role_policy=True))
    staffer(db, "heping1", tree["community"])
    db.session.commit()
    reminders.decide("direct.cards_to_renew", now=JANUARY)
    (row,) = _rows("direct.cards_to_renew")
    assert row.recipient == "heping1" and row.dedup_key == f"renew:2026:{tree['community'].id}:heping1"
    assert row.subject == "和平社区党委有1张责任卡需换发2026年度新卡"
    assert reminders.decide("direct.cards_to_renew", now=JANUARY + dt.timedelta(days=3)) == []


def test_the_bulletin_section_counts_zones_cards_pairings_visits_and_ratings(app, db):
    tree = org_tree()
    a, b, c = resident(tree, building="1号楼"), resident(tree, building="2号楼"), resident(tree, building="9号楼")
    zone = Zone(community=tree["community"], name="第一责任区",
                buildings=[ZoneBuilding(building="1号楼"), ZoneBuilding(building="2号楼")],
                responsibles=[ZoneResponsible(member=a)])
    pairing = Pairing(member=a, household_name="王家", difficulty="other", started_on=dt.date(2026, 1, 1), visits=[
        Visit(visited_on=dt.date(2026, 9, 3), done="走访"), Visit(visited_on=dt.date(2026, 10, 3), done="走访"),
        Visit(visited_on=dt.date(2026, 10, 20), done="走访")])
    ended = Pairing(member=b, household_name="李家", difficulty="other", started_on=dt.date(2026, 1, 1),
                    ended_on=dt.date(2026, 8, 31))
    db.session.add_all([a, b, c, zone, pairing, ended,
                        Card(community=tree["community"], member=a, number="C-1", year=2026,
                             issued_on=dt.date(2026, 10, 9), role_policy=True),
                        Card(community=tree["community"], member=b, number="C-2", year=2025,
                             issued_on=dt.date(2025, 1, 9), role_policy=True),
                        Rating(member=a, year=2026, **{k: True for k in ("good_citizen", "good_member", "good_worker",
                                                                        "good_neighbour", "good_parent")}),
                        Rating(member=b, year=2026, good_member=True)])
    db.session.commit()
    result = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-10",
                                        now=dt.datetime(2026, 11, 2, 1, 0))
    assert result.state == "compiled"
    bulletin = db.session.get(Bulletin, result.bulletin_id)
    (section,) = [s for s in bulletin.sections if s["key"] == "direct.summary"]
    assert section["rows"] == [["和平社区党委", 1, 3, 2, 1, 1, 1, 2, 1, 3, 2, 1]]
    assert section["figures"]["本期走访"] == 2 and section["figures"]["有效责任卡"] == 1
    assert "覆盖楼栋2/3栋" in section["summary"] and "本期走访2次（上期1次，比上期增加1次）" in section["summary"]
    assert "2026年度争五好已评定2/3人，五好全部达标1人" in section["summary"]


def test_demo_data_fills_every_table_and_every_check_finds_something(app, db, run_sweep):
    today = dt.date(2026, 11, 20)
    loaded = demo.load(today=today)
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
              for model in (Zone, ZoneBuilding, ZoneResponsible, Card, Pairing, Visit, Rating)}
    assert all(counts.values()), counts
    buildings = sum(len(v) for v in loaded.buildings.values())
    assert counts["direct_zone_building"] == buildings  # every demo community's buildings are in zones
    residents = len(loaded.members["resident"])
    assert counts["direct_card"] > residents * 0.8
    found = run_sweep(today=today, codes={"direct.no_zone", "direct.zone_unstaffed", "direct.card_expired",
                                          "direct.pairing_no_visit", "direct.rating_missing"})
    for code in ("direct.no_zone", "direct.zone_unstaffed", "direct.card_expired", "direct.pairing_no_visit",
                 "direct.rating_missing"):
        assert 0 < len(found.get(code, {})) < residents, code


def test_a_scope_without_residents_or_records_has_no_direct_section(app, db):
    tree = org_tree()
    db.session.add(member(tree))  # a retired member: another mode's
    db.session.commit()
    result = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-10",
                                        now=dt.datetime(2026, 11, 2, 1, 0))
    keys = [s["key"] for s in db.session.get(Bulletin, result.bulletin_id).sections]
    assert "direct.summary" not in keys and "core.coverage" in keys
