"""双管: reminders decided once, the employer's and the community's bulletin figures, and the demo data set."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import bulletins, demo, reminders
from core.extensions import db as database
from core.models import Activity, Attendance, Bulletin, Member, OutboxMessage, WorkUnit
from factories import member, org_tree
from plugins.dual.models import (Evaluation, Feedback, OpinionRequest, Post, Registration, Service, Signup)

# 2026-11-02 is a Monday; 09:00 in Shanghai is 01:00 UTC.
MONDAY_9AM = dt.datetime(2026, 11, 2, 1, 0)
COMPILED_AT = dt.datetime(2026, 11, 2, 1, 0)
_cards = iter(range(1, 100000))


def in_service(tree, unit, name, **fields):
    values = dict(name=name, category="in_service", work_unit=unit, affiliation=None)
    values.update(fields)
    return member(tree, **values)


def register(person, community, on, post=None):
    return Registration(member=person, org=community, registered_on=on, card_no=f"K{next(_cards):05d}", post=post)


@pytest.fixture
def units(db):
    tree = org_tree()
    tree["community"].email = "c1@example.org"
    big = WorkUnit(name="金川集团", kind="state_owned", email="party@jnmc.example", contact_person="赵主任")
    small = WorkUnit(name="金昌市人民医院", kind="institution", email="party@hospital.example")
    db.session.add_all([big, small])
    db.session.commit()
    return tree, big, small


def test_opinion_reminder_is_decided_once(units, db):
    tree, big, _ = units
    person = in_service(tree, big, "拟提拔")
    db.session.add(person)
    db.session.commit()
    db.session.add_all([OpinionRequest(member=person, org=tree["community"], work_unit=big,
                                       received_on=dt.date(2026, 10, 20)),
                        OpinionRequest(member=person, org=tree["community"], work_unit=big,
                                       received_on=dt.date(2026, 10, 30))])
    db.session.commit()
    ids = reminders.decide("dual.opinion_due", now=MONDAY_9AM)
    assert len(ids) == 1
    row = db.session.get(OutboxMessage, ids[0])
    assert row.recipient == "c1@example.org" and row.org_id == tree["community"].id
    assert "金川集团" in row.subject and "拟提拔" in row.subject
    assert reminders.decide("dual.opinion_due", now=MONDAY_9AM + dt.timedelta(days=1)) == []


def test_unregistered_reminder_goes_to_the_employer_once_a_month(units, db):
    tree, big, small = units
    people = [in_service(tree, big, f"未报到{i}") for i in range(3)] + [in_service(tree, small, "已报到")]
    db.session.add_all(people)
    db.session.commit()
    db.session.add(register(people[3], tree["community"], dt.date(2025, 1, 1)))
    db.session.execute(database.update(Member).values(created_at=dt.datetime(2025, 1, 1)))
    db.session.commit()
    ids = reminders.decide("dual.unregistered_notice", now=MONDAY_9AM)
    assert len(ids) == 1
    row = db.session.get(OutboxMessage, ids[0])
    assert row.recipient == "party@jnmc.example" and "3名" in row.subject
    assert reminders.decide("dual.unregistered_notice", now=MONDAY_9AM + dt.timedelta(days=3)) == []
    assert len(reminders.decide("dual.unregistered_notice", now=MONDAY_9AM + dt.timedelta(days=31))) == 1


def test_unregistered_members_are_told_themselves_by_their_own_channel(units, db):
    tree, big, small = units
    from core.models import Staff
    staff = Staff(username="heping1", display_name="和平", role="community", org=tree["community"])
    staff.set_password("x" * 12)
    people = [in_service(tree, big, "短信", mobile="13800001111", email="a@example.org", preferred_channel="sms"),
              in_service(tree, big, "邮件", mobile="13800002222", email="b@example.org"),
              in_service(tree, small, "无址"), in_service(tree, small, "已报到", email="c@example.org")]
    db.session.add_all([staff, *people])
    db.session.commit()
    db.session.add(register(people[3], tree["community"], dt.date(2025, 1, 1)))
    db.session.execute(database.update(Member).values(created_at=dt.datetime(2025, 1, 1)))
    db.session.commit()
    ids = reminders.decide("dual.unregistered_member", now=MONDAY_9AM)
    rows = sorted((db.session.get(OutboxMessage, i) for i in ids), key=lambda row: row.channel)
    assert [(row.channel, row.recipient) for row in rows] == [
        ("email", "b@example.org"), ("inbox", "heping1"), ("sms", "13800001111")]
    assert "party@jnmc.example" not in {row.recipient for row in rows}
    assert rows[1].dedup_key == f"unregistered_member:{people[2].id}:2026-11:heping1"
    assert rows[2].subject == "请到居住地社区和平社区党委报到" and rows[2].body.startswith("短信同志：")
    assert reminders.decide("dual.unregistered_member", now=MONDAY_9AM + dt.timedelta(days=3)) == []


def test_staff_reminders_for_feedback_and_evaluations(units, db):
    tree, big, _ = units
    person = in_service(tree, big, "某人")
    db.session.add(person)
    db.session.commit()
    db.session.add(register(person, tree["community"], dt.date(2025, 1, 1)))
    db.session.commit()
    (feedback,) = reminders.decide("dual.feedback_due", now=MONDAY_9AM)
    assert "2026年第3季度" in db.session.get(OutboxMessage, feedback).subject
    # Evaluations are due in the last 30 days of the year only.
    assert reminders.decide("dual.evaluation_due", now=MONDAY_9AM) == []
    (evaluation,) = reminders.decide("dual.evaluation_due", now=dt.datetime(2026, 12, 7, 1, 0))
    assert "2026年度" in db.session.get(OutboxMessage, evaluation).subject
    assert reminders.decide("dual.evaluation_due", now=dt.datetime(2026, 12, 8, 1, 0)) == []


@pytest.fixture
def reported(units, db):
    """Unit 金川集团: three members, two registered (one with a post), 5.5 hours in Q3, one meeting, one rating.
    Unit 医院: one member, registered, 10 hours."""
    tree, big, small = units
    post = Post(org=tree["community"], name="治安巡逻", needed=5)
    a, b, c = (in_service(tree, big, n) for n in ("甲", "乙", "丙"))
    d = in_service(tree, small, "丁", location=tree["other"], liaison_group=None)
    db.session.add_all([post, a, b, c, d])
    db.session.commit()
    db.session.add_all([register(a, tree["community"], dt.date(2025, 1, 1), post=post),
                        register(b, tree["community"], dt.date(2026, 2, 1)),
                        register(d, tree["other"], dt.date(2025, 1, 1))])
    db.session.commit()
    db.session.add_all([
        Service(member=a, org=tree["community"], served_on=dt.date(2026, 7, 5), activity="巡逻", hours=2),
        Service(member=a, org=tree["community"], served_on=dt.date(2026, 8, 5), activity="巡逻", hours=1.5),
        Service(member=b, org=tree["community"], served_on=dt.date(2026, 9, 30), activity="宣传", hours=2),
        Service(member=b, org=tree["community"], served_on=dt.date(2026, 10, 1), activity="宣传", hours=8),
        Service(member=d, org=tree["other"], served_on=dt.date(2026, 9, 1), activity="宣传", hours=10),
        Evaluation(member=a, org=tree["community"], period="2026-Q3", grade="excellent"),
        Feedback(org=tree["community"], work_unit=big, period="2026-Q2", content="良好", sent_on=dt.date(2026, 7, 10)),
        Activity(org=tree["community"], kind="dual_meeting", held_on=dt.date(2026, 8, 20), topic="例会",
                 attendance=[Attendance(member=a, present=True), Attendance(member=c, present=False)]),
    ])
    db.session.commit()
    return tree, big, small


def _section(result, key):
    bulletin = database.session.get(Bulletin, result.bulletin_id)
    return next(s for s in bulletin.sections if s["key"] == key)


def test_the_employer_bulletin_figures_match_the_data(reported, db):
    tree, big, small = reported
    result = bulletins.compile_bulletin("employer", f"unit:{big.id}", "2026-Q3", now=COMPILED_AT)
    assert result.state == "compiled"
    section = _section(result, "dual.employer")
    figures = section["figures"]
    assert figures["在职党员"] == 3 and figures["已报到"] == 2 and figures["报到率（%）"] == 66.7
    assert figures["服务时长"] == 5.5
    # 医院: 100% registered and 10 hours, so 金川集团 is second on both.
    assert figures["报到率排名"] == 2 and figures["服务时长排名"] == 2
    rows = {r[0]: r for r in section["rows"]}
    assert rows["甲"] == ["甲", "已报到", "和平社区党委", "治安巡逻", 3.5, 2, 1, "优秀"]
    assert rows["乙"][1:6] == ["已报到", "和平社区党委", "", 2.0, 1]
    assert rows["丙"][1] == "未报到" and rows["丙"][6] == 0
    assert section["rows"][0][0] == "丙"  # the unregistered first
    # The section is also in the mailed PDF and XLSX, and the mail goes to the unit's contact.
    outbox = db.session.get(OutboxMessage, result.outbox_ids[0])
    assert outbox.recipient == "party@jnmc.example"
    other = _section(bulletins.compile_bulletin("employer", f"unit:{small.id}", "2026-Q3", now=COMPILED_AT),
                     "dual.employer")
    assert other["figures"]["报到率排名"] == 1 and other["figures"]["服务时长排名"] == 1


def test_the_community_bulletin_section(reported, db):
    tree, big, small = reported
    result = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-Q3", now=COMPILED_AT)
    section = _section(result, "dual.community")
    figures = section["figures"]
    assert figures["在职党员"] == 3 and figures["已报到"] == 2
    assert figures["服务人次"] == 3 and figures["服务时长"] == 5.5
    assert figures["已评价"] == 1 and figures["单位反馈"] == 1  # the Q2 feedback went out in July
    assert section["rows"] == [["治安巡逻", 5, 1, 3.5]]


def test_demo_data_is_present_and_every_check_fires(db, run_sweep):
    today = dt.date(2026, 11, 29)
    loaded = demo.load(today=today)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    in_service_members = db.session.scalar(select(func.count()).select_from(Member)
                                           .where(Member.category == "in_service"))
    assert in_service_members == 12990 + 214
    assert 0.9 * in_service_members < count(Registration) < in_service_members
    assert count(Post) == 5 * len(loaded.community_ids)
    assert count(Service) > count(Registration) and count(Evaluation) > 0.8 * count(Registration)
    assert count(Feedback) > 0 and count(OpinionRequest) == 60 and count(Signup) > 0
    assert db.session.scalar(select(func.count()).select_from(Activity).where(Activity.kind == "dual_meeting")) \
        == 3 * len(loaded.community_ids)
    found = run_sweep(today=today, codes=["dual.unregistered", "dual.no_service", "dual.evaluation_missing",
                                          "dual.feedback_due", "dual.opinion_overdue", "dual.post_unfilled"])
    for code in ("dual.unregistered", "dual.no_service", "dual.evaluation_missing", "dual.feedback_due",
                 "dual.opinion_overdue", "dual.post_unfilled"):
        assert found.get(code), code
    # Gaps, not a wasteland: most registered members served and were evaluated.
    assert len(found["dual.no_service"]) < 0.2 * count(Registration)
    assert len(found["dual.evaluation_missing"]) < 0.1 * count(Registration)


def test_a_community_without_in_service_members_gets_no_dual_section(units, db):
    tree, _, _ = units
    db.session.add(member(tree))  # a retired member only
    db.session.commit()
    result = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-Q3", now=COMPILED_AT)
    keys = [s["key"] for s in db.session.get(Bulletin, result.bulletin_id).sections]
    assert "dual.community" not in keys and "core.coverage" in keys
