"""协管 on the engines: the demo set makes every check fire; reminders are decided once; the bulletin's numbers."""
import datetime as dt

from sqlalchemy import func, select

from core import bulletins, demo, periods, reminders
from core.models import OutboxMessage
from factories import member, org_tree
from plugins.assist.models import Card, Contact, MobileRecord

TODAY = dt.date(2026, 11, 16)
# 2026-11-16 is a Monday; 09:00 in Shanghai is 01:00 UTC.
MONDAY_9AM = dt.datetime(2026, 11, 16, 1, 0)


def test_demo_has_the_170_mobile_members_and_every_check_fires(db, run_sweep):
    demo.load(today=TODAY)
    assert db.session.scalar(select(func.count()).select_from(MobileRecord)) == 170
    assert db.session.scalar(select(func.count()).select_from(Card)) > 50
    assert db.session.scalar(select(func.count()).select_from(Contact)) > 170
    found = run_sweep(today=TODAY)
    for code in ("assist.no_contact", "assist.six_months_no_arrangement", "assist.card_expired",
                 "assist.settled_not_transferred", "assist.yearly_report_missing", "assist.group_without_branch"):
        assert found.get(code), code


def _tree_with_mobile_member(db):
    tree = org_tree()
    tree["community"].email = "c1@example.org"
    person = member(tree, name="刘流动", category="mobile_out")
    record = MobileRecord(member=person, direction="out", other_org_name="兰州某社区党委", place="兰州市",
                          since=dt.date(2025, 1, 1))
    db.session.add(record)
    db.session.flush()
    db.session.add_all([
        Contact(record=record, contacted_on=TODAY - dt.timedelta(days=85), party="member", method="phone"),
        Contact(record=record, contacted_on=TODAY - dt.timedelta(days=30), party="inflow_org", method="phone"),
        Card(number="金流证001", member=person, issuing_org=tree["community"], issued_on=dt.date(2025, 12, 1),
             valid_until=TODAY + dt.timedelta(days=20))])
    db.session.commit()
    return tree, record


def test_reminders_are_decided_once_and_again_only_when_the_situation_is_new(app, db):
    tree, record = _tree_with_mobile_member(db)
    ids = reminders.decide("assist.contact_due", now=MONDAY_9AM)
    assert len(ids) == 1
    row = db.session.get(OutboxMessage, ids[0])
    assert row.recipient == "c1@example.org" and "刘流动" in row.subject and row.org_id == tree["community"].id
    assert reminders.decide("assist.contact_due", now=MONDAY_9AM + dt.timedelta(days=1)) == []
    card_ids = reminders.decide("assist.card_expiring", now=MONDAY_9AM)
    assert len(card_ids) == 1 and "金流证001" in db.session.get(OutboxMessage, card_ids[0]).subject
    assert reminders.decide("assist.card_expiring", now=MONDAY_9AM) == []
    tree["branch"].email = "b1@example.org"
    db.session.commit()
    report = reminders.decide("assist.yearly_report_due", now=MONDAY_9AM)
    assert len(report) == 0  # the member has no address, their community no staff; the branch's mailbox is not theirs
    record.member.mobile = "139 0000 2222"
    db.session.commit()
    report = reminders.decide("assist.yearly_report_due", now=MONDAY_9AM)
    assert len(report) == 1 and reminders.decide("assist.yearly_report_due", now=MONDAY_9AM) == []
    row = db.session.get(OutboxMessage, report[0])
    assert (row.channel, row.recipient) == ("sms", "13900002222") and row.body.startswith("刘流动同志：")
    record.state = "lost"
    db.session.commit()
    lost = reminders.decide("assist.lost_contact_list", now=MONDAY_9AM)
    assert len(lost) == 1 and "刘流动" in db.session.get(OutboxMessage, lost[0]).body
    # a new contact with the member is a new situation: the reminder comes again when it falls due
    record.state = "active"
    db.session.add(Contact(record=record, contacted_on=TODAY - dt.timedelta(days=84), party="member", method="visit"))
    db.session.commit()
    assert len(reminders.decide("assist.contact_due", now=MONDAY_9AM)) == 1


def test_bulletin_section_counts_members_contacts_cards_and_stations(app, db):
    tree, record = _tree_with_mobile_member(db)
    inflow = member(tree, name="王流入", category="mobile_in")
    db.session.add(MobileRecord(member=inflow, direction="in", other_org_name="张掖某社区党委", place="金昌市",
                                since=dt.date(2026, 10, 1), reason="business"))
    db.session.add(Contact(record=record, contacted_on=dt.date(2026, 10, 5), party="member", method="phone"))
    db.session.add(Card(number="旧证", member=inflow, issuing_org=tree["community"], issued_on=dt.date(2025, 1, 1),
                        valid_until=dt.date(2025, 12, 31)))
    db.session.commit()
    from core.bulletins import BulletinContext
    period = periods.parse("2026-10")
    ctx = BulletinContext(kind="community", scope=f"org:{tree['community'].id}", period=period,
                          previous=period.previous(), org=tree["community"], unit=None, today=TODAY)
    from plugins.assist.bulletin import section
    result = section(ctx, app.config["PLUGINS"]["assist"])
    f = result.figures
    assert (f["流入党员"], f["流出党员"]) == (1, 1)
    # October: 10-05 with the member and 10-17 with the inflow org; September: none (the other was in August)
    assert (f["本期联系次数"], f["上期联系次数"]) == (2, 0)
    assert (f["有效活动证"], f["过期活动证"]) == (1, 1)
    assert sorted(r[2] for r in result.rows) == ["务工", "经商"]
