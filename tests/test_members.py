import datetime as dt

import pytest
from sqlalchemy import func, select

from core import audit, privacy
from core.errors import ValidationError
from core.models import AuditEntry, Member
from factories import member, org_tree


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_valid_member_is_saved_with_pinyin_keys(db):
    tree = org_tree()
    db.session.add(member(tree, name="张三"))
    db.session.commit()
    saved = db.session.scalar(select(Member))
    assert (saved.name_pinyin, saved.name_initials) == ("zhangsan", "zs")


def test_birth_date_and_gender_are_taken_from_the_card(db):
    tree = org_tree()
    m = member(tree)
    m.birth_date, m.gender = None, None
    db.session.add(m)
    db.session.commit()
    assert m.birth_date == dt.date(1960, 5, 17)
    assert m.gender == "female"


@pytest.mark.parametrize("fields, field, words", [
    (dict(id_number="360426199101010072"), "id_number", "校验位"),
    (dict(birth_date=dt.date(1960, 5, 18)), "birth_date", "不一致"),
    (dict(gender="male"), "gender", "不一致"),
    (dict(joined_on=dt.date(1970, 1, 1)), "joined_on", "年满18周岁"),
    (dict(joined_on=dt.date.today() + dt.timedelta(days=1), confirmed_on=None, status="probationary"),
     "joined_on", "晚于今天"),
    (dict(confirmed_on=dt.date(1984, 1, 1)), "confirmed_on", "不能早于入党日期"),
    (dict(confirmed_on=None), "confirmed_on", "须填写转正日期"),
    (dict(status="probationary"), "status", "应为正式党员"),
    (dict(category=""), "category", "不能为空"),
    (dict(affiliation=None), "affiliation", "所属党组织"),
    (dict(name="  "), "name", "不能为空"),
    (dict(probation_extension_months=3), "probation_extension_months", "6至12个月"),
])
def test_bad_member_is_refused_with_chinese_message_and_nothing_saved(db, fields, field, words):
    tree = org_tree()
    db.session.add(member(tree, **fields))
    with pytest.raises(ValidationError) as err:
        db.session.commit()
    db.session.rollback()
    assert any(words in message for message in err.value.errors[field]), err.value.errors
    assert count(db, Member) == 0


def test_all_problems_are_reported_at_once(db):
    tree = org_tree()
    db.session.add(member(tree, name="", category="", confirmed_on=None))
    with pytest.raises(ValidationError) as err:
        db.session.flush()
    assert {"name", "category", "confirmed_on"} <= set(err.value.errors)


def test_location_must_be_a_community_and_group_inside_it(db):
    tree = org_tree()
    db.session.add(member(tree, location=tree["branch"]))
    with pytest.raises(ValidationError, match="不是"):
        db.session.flush()
    db.session.rollback()
    tree = {k: db.session.merge(v) for k, v in tree.items()}
    db.session.add(member(tree, location=tree["other"]))
    with pytest.raises(ValidationError) as err:
        db.session.flush()
    assert "不在所在社区" in err.value.errors["liaison_group"][0]


def test_duplicate_id_number_is_refused(db):
    tree = org_tree()
    first = member(tree)
    db.session.add(first)
    db.session.commit()
    db.session.add(member(tree, id_number=first.id_number))
    with pytest.raises(Exception):
        db.session.commit()
    db.session.rollback()
    assert count(db, Member) == 1


def test_every_change_lands_in_the_audit_log(db):
    tree = org_tree()
    with audit.acting_as("tester"):
        m = member(tree, phone="13800000000")
        db.session.add(m)
        db.session.commit()
        m.phone = "13900000000"
        db.session.commit()
        db.session.delete(m)
        db.session.commit()
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "member")
                              .order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["insert", "update", "delete"]
    assert {r.actor for r in rows} == {"tester"}
    assert rows[0].after["phone"] == privacy.fingerprint("13800000000")  # personal values: fingerprints only
    assert rows[1].before == {"phone": privacy.fingerprint("13800000000")}
    assert rows[1].after == {"phone": privacy.fingerprint("13900000000")}
    assert rows[2].before["id_number"] == privacy.fingerprint(m.id_number)
    assert len({r.record_id for r in rows}) == 1


def test_a_refused_change_leaves_no_audit_entry(db):
    tree = org_tree()
    before = count(db, AuditEntry)
    db.session.add(member(tree, id_number="360426199101010072"))
    with pytest.raises(ValidationError):
        db.session.commit()
    db.session.rollback()
    assert count(db, AuditEntry) == before
