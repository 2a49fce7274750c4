"""Small builders for test records, so each test states only what it is about."""
import datetime as dt
import itertools

from core import idcard
from core.extensions import db
from core.models import Member, Organization

_seq = itertools.count(1)


def org_tree():
    """district > street > community > (branch, liaison group); returns them by kind."""
    district = Organization(kind="district", name="金川区委", code="D")
    street = Organization(kind="street", name="滨河路街道党工委", code="S1", parent=district)
    community = Organization(kind="community", name="和平社区党委", code="C1", parent=street)
    branch = Organization(kind="branch", name="和平社区第一党支部", code="C1B1", parent=community)
    group = Organization(kind="liaison_group", name="1-2号楼党员联络小组", code="C1L1", parent=community)
    other = Organization(kind="community", name="建设社区党委", code="C2", parent=street)
    db.session.add_all([district, street, community, branch, group, other])
    db.session.commit()
    return {"district": district, "street": street, "community": community, "branch": branch,
            "group": group, "other": other}


def member(tree, **fields):
    n = next(_seq)
    birth, gender = dt.date(1960, 5, 17), "female"
    values = dict(
        name="张三", gender=gender, birth_date=birth,
        id_number=idcard.make_number("620302", birth, n % 500, gender),
        joined_on=dt.date(1985, 7, 1), confirmed_on=dt.date(1986, 7, 1), status="full",
        category="retired", affiliation=tree["branch"], location=tree["community"], liaison_group=tree["group"],
    )
    values.update(fields)
    return Member(**values)


def outbox_rows(count, prefix="r", rule_code="test.batch"):
    """`count` email reminders due now, committed; returns their outbox ids."""
    from core import reminders
    from core.models.base import utcnow
    now = utcnow()
    ids = reminders.enqueue_rows([{
        "rule_code": rule_code, "dedup_key": f"{prefix}{i}", "channel": "email",
        "recipient": f"{prefix}{i}@example.org", "subject": f"提醒 {i}", "body": "请按时参加组织生活。",
        "state": "pending", "attempts": 0, "created_at": now, "not_before": now, "history": []}
        for i in range(count)])
    db.session.commit()
    return ids
