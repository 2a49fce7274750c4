"""共管 reminders (birthday, 春节/重阳节, hardships) and the bulletin sections."""
import datetime as dt
import itertools

import pytest
from sqlalchemy import event, select

from core import bulletins, idcard, indicator_pass, periods, reminders
from core.models import Bulletin, OutboxMessage, WorkUnit
from factories import member, org_tree
from plugins.joint.models import JointHardship, JointHardshipAction, JointProfile, JointVisit
from plugins.joint.reminders import festival_dates, upcoming_festival

_seq = itertools.count(1)


def at_9am(day):
    """09:00 in Shanghai on `day`, in UTC as decide() takes it."""
    return dt.datetime(day.year, day.month, day.day, 1, 0)


def retiree(tree, born, **fields):
    return member(tree, birth_date=born, id_number=idcard.make_number("620302", born, next(_seq), "female"),
                  **fields)


@pytest.fixture
def tree(db):
    tree = org_tree()
    tree["community"].email = "heping@example.org"
    db.session.commit()
    return tree


def rows(code):
    from core.extensions import db
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule_code == code)
                              .order_by(OutboxMessage.dedup_key)).all()


def test_birthday_visits_a_week_ahead_for_those_turning_80_or_more_once(db, tree):
    monday = dt.date(2026, 11, 2)
    turning_80 = retiree(tree, dt.date(1946, 11, 9), name="满八十")
    turning_90 = retiree(tree, dt.date(1936, 11, 2), name="满九十")
    turning_76 = retiree(tree, dt.date(1950, 11, 5), name="七十六")
    too_far = retiree(tree, dt.date(1940, 11, 12), name="下周以后")
    elsewhere = retiree(tree, dt.date(1940, 11, 4), name="别的社区", location=tree["other"], liaison_group=None)
    db.session.add_all([turning_80, turning_90, turning_76, too_far, elsewhere])
    db.session.commit()
    ids = reminders.decide("joint.birthday_visit", now=at_9am(monday))
    found = rows("joint.birthday_visit")
    assert len(ids) == 2
    assert {r.dedup_key for r in found} == {f"birthday:{turning_80.id}:2026", f"birthday:{turning_90.id}:2026"}
    assert all(r.recipient == "heping@example.org" and r.org_id == tree["community"].id for r in found)
    mail = {r.dedup_key: r for r in found}[f"birthday:{turning_80.id}:2026"]
    assert "满八十" in mail.subject and "80岁" in mail.subject and "2026-11-09" in mail.body
    # The next working day the same birthdays are not reminded again.
    assert reminders.decide("joint.birthday_visit", now=at_9am(monday + dt.timedelta(days=1))) == []
    assert len(rows("joint.birthday_visit")) == 2


def test_festival_dates_come_from_the_lunar_calendar():
    assert festival_dates(2026) == {"spring": dt.date(2026, 2, 17), "chongyang": dt.date(2026, 10, 18)}
    assert festival_dates(2027) == {"spring": dt.date(2027, 2, 6), "chongyang": dt.date(2027, 10, 8)}
    assert festival_dates(2025) == {"spring": dt.date(2025, 1, 29), "chongyang": dt.date(2025, 10, 29)}
    assert upcoming_festival(dt.date(2026, 10, 5), 14) == ("chongyang", dt.date(2026, 10, 18))
    assert upcoming_festival(dt.date(2027, 1, 25), 14) == ("spring", dt.date(2027, 2, 6))
    assert upcoming_festival(dt.date(2026, 1, 30), 14) is None  # 2026's 春节 is on 17 February
    assert upcoming_festival(dt.date(2027, 9, 20), 14) is None  # 2027's 重阳节 is on 8 October


@pytest.mark.parametrize("today, festival, on", [
    (dt.date(2026, 10, 12), "重阳节", "2026-10-18"),
    (dt.date(2027, 1, 25), "春节", "2027-02-06"),
])
def test_festival_visit_lists_the_old_and_frail_to_their_community_once(db, tree, today, festival, on):
    old = retiree(tree, dt.date(1940, 3, 1), name="高龄甲")
    frail = retiree(tree, dt.date(1958, 3, 1), name="卧床乙")
    young = retiree(tree, dt.date(1958, 4, 1), name="健康丙")
    db.session.add_all([old, frail, young])
    db.session.flush()
    db.session.add_all([JointProfile(member=frail, health="bedridden"), JointProfile(member=young, health="good")])
    db.session.commit()
    assert len(reminders.decide("joint.festival_visit", now=at_9am(today))) == 1
    (mail,) = rows("joint.festival_visit")
    assert mail.recipient == "heping@example.org"
    assert festival in mail.subject and on in mail.subject and "共2人" in mail.subject
    assert "高龄甲" in mail.body and "卧床乙" in mail.body and "健康丙" not in mail.body
    assert reminders.decide("joint.festival_visit", now=at_9am(today + dt.timedelta(days=1))) == []


def test_no_festival_reminder_far_from_a_festival(db, tree):
    db.session.add(retiree(tree, dt.date(1940, 3, 1)))
    db.session.commit()
    assert reminders.decide("joint.festival_visit", now=at_9am(dt.date(2026, 11, 2))) == []


def test_hardships_without_action_are_reminded_once_a_month(db, tree):
    today = dt.date(2026, 11, 2)
    person = retiree(tree, dt.date(1950, 3, 1), name="困难丁")
    db.session.add(person)
    db.session.flush()
    stale = JointHardship(member=person, kind="housing", reported_on=dt.date(2026, 9, 1), state="open")
    acted = JointHardship(member=person, kind="care", reported_on=dt.date(2026, 9, 2), state="open",
                          actions=[JointHardshipAction(acted_on=dt.date(2026, 9, 10), action="协调家政服务")])
    db.session.add_all([stale, acted])
    db.session.commit()
    assert len(reminders.decide("joint.hardship_no_action", now=at_9am(today))) == 1
    (mail,) = rows("joint.hardship_no_action")
    assert mail.dedup_key == f"hardship:{stale.id}:2026-11" and "困难丁" in mail.subject
    assert reminders.decide("joint.hardship_no_action", now=at_9am(dt.date(2026, 11, 9))) == []
    assert len(reminders.decide("joint.hardship_no_action", now=at_9am(dt.date(2026, 12, 7)))) == 1


# -- the bulletin ---------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 2, 1, 0)


def section(bulletin_id, key):
    from core.extensions import db
    return {s["key"]: s for s in db.session.get(Bulletin, bulletin_id).sections}.get(key)


@pytest.fixture
def care(db, tree):
    unit = WorkUnit(name="金川集团", kind="state_owned", email="party@jnmc.example")
    people = [retiree(tree, dt.date(1935, 1, 1), name="九十一", work_unit=unit),
              retiree(tree, dt.date(1944, 1, 1), name="八十二", work_unit=unit),
              retiree(tree, dt.date(1955, 1, 1), name="七十一"),
              retiree(tree, dt.date(1963, 1, 1), name="六十三"),
              retiree(tree, dt.date(1950, 1, 1), name="别社区", location=tree["other"], liaison_group=None,
                      work_unit=unit)]
    db.session.add_all([unit, *people])
    db.session.flush()
    nine, eight, seven, six, other = people
    db.session.add_all([
        JointProfile(member=nine, health="bedridden"), JointProfile(member=eight, health="poor"),
        JointProfile(member=seven, health="good", tasks=",民事调解,治安防范,"),
        JointProfile(member=six, health="good", tasks=",民事调解,"),
        JointProfile(member=other, health="good", tasks=",民事调解,"),
        JointVisit(member=nine, visited_on=dt.date(2026, 10, 3), visitors="甲", occasion="festival"),
        JointVisit(member=eight, visited_on=dt.date(2026, 10, 20), visitors="甲", occasion="routine"),
        JointVisit(member=nine, visited_on=dt.date(2026, 9, 3), visitors="甲", occasion="routine"),
        JointVisit(member=other, visited_on=dt.date(2026, 10, 3), visitors="乙", occasion="routine"),
        JointHardship(member=eight, kind="income", reported_on=dt.date(2026, 10, 5), state="resolved",
                      resolved_on=dt.date(2026, 10, 25)),
        JointHardship(member=nine, kind="care", reported_on=dt.date(2026, 10, 8), state="open"),
        JointHardship(member=seven, kind="other", reported_on=dt.date(2026, 8, 8), state="open"),
    ])
    db.session.commit()
    return tree, unit, people


def test_bulletin_sections_count_retirees_visits_hardships_and_tasks(care):
    tree, _unit, _people = care
    result = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-10", now=NOW)
    assert result.state == "compiled"
    retirees = section(result.bulletin_id, "joint.retirees")
    assert retirees["columns"] == ["年龄段", "良好", "一般", "较差", "卧床", "未登记", "合计"]
    assert retirees["rows"] == [["90岁以上", 0, 0, 0, 1, 0, 1], ["80至89岁", 0, 0, 1, 0, 0, 1],
                                ["70至79岁", 1, 0, 0, 0, 0, 1], ["60至69岁", 1, 0, 0, 0, 0, 1],
                                ["60岁以下", 0, 0, 0, 0, 0, 0]]
    assert retirees["figures"] == {"离退休党员": 4, "80岁以上": 2, "体弱卧床": 2}
    care_section = section(result.bulletin_id, "joint.care")
    assert care_section["figures"] == {"走访人次": 2, "新反映困难": 2, "解决困难": 1, "尚未解决困难": 2,
                                       "民事调解": 2, "治安防范": 1, "美化社区": 0, "宣传教育": 0, "关心下一代": 0}
    assert ["上期走访人次", 1] in care_section["rows"]
    assert "本期走访慰问2人次（上期1人次）" in care_section["summary"]


def test_each_former_unit_gets_its_retirees_state_quarterly(care):
    _tree, unit, people = care
    quarterly = bulletins.compile_bulletin("employer", f"unit:{unit.id}", "2026-Q4", now=dt.datetime(2027, 1, 2))
    share = section(quarterly.bulletin_id, "joint.former_unit")
    by_name = {row[0]: row for row in share["rows"]}
    assert set(by_name) == {"别社区", "九十一", "八十二"}
    assert by_name["九十一"][1:] == ["和平社区党委", 91, "卧床", "2026-10-03", 1]
    assert share["figures"] == {"离退休党员": 3, "本期走访人数": 3, "有困难人数": 1}
    monthly = bulletins.compile_bulletin("employer", f"unit:{unit.id}", "2026-10", now=NOW)
    assert section(monthly.bulletin_id, "joint.former_unit") is None


def test_bulletin_statements_do_not_grow_with_retirees(care, db):
    tree, unit, _people = care
    from core.extensions import db as database
    counter = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "joint_" in statement:
            counter.append(statement)

    def compile_once(label):
        for period in (label, periods.parse(label).previous().label):  # the city's pass runs once, before
            indicator_pass.compute(period, today=NOW.date())
        counter.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert bulletins.compile_bulletin("community", f"org:{tree['community'].id}", label,
                                              now=NOW).state == "compiled"
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        return len(counter)

    small = compile_once("2026-09")
    assert small >= 4  # age and health, visits, hardships, tasks
    for n in range(30):
        person = retiree(tree, dt.date(1940 + n % 20, 2, 1), name=f"新增{n}")
        db.session.add_all([person, JointProfile(member=person, health="fair", tasks=",美化社区,"),
                            JointVisit(member=person, visited_on=dt.date(2026, 10, 2), visitors="甲",
                                       occasion="routine")])
    db.session.commit()
    assert compile_once("2026-10") == small
    assert section(db.session.scalar(select(Bulletin.id).where(Bulletin.period == "2026-10")),
                   "joint.care")["figures"]["美化社区"] == 30
