import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from core import demo
from core.models import Activity, Attendance, AuditEntry, Member, Organization

TODAY = dt.date(2026, 11, 29)


@pytest.fixture
def loaded(db):
    return demo.load(today=TODAY)


def test_figures_equal_the_article(db, loaded):
    community_members = dict(db.session.execute(
        select(Member.category, func.count()).where(Member.affiliation_id.is_not(None)).group_by(Member.category)).all())
    assert sum(community_members.values()) == 1952
    assert community_members["retired"] == 927
    assert community_members["laid_off"] == 128
    assert community_members["mobile_in"] + community_members["mobile_out"] == 170
    assert community_members["in_service"] == 214
    assert community_members["contract_ended"] + community_members["demobilized"] + community_members["graduate"] == 173
    assert community_members["resident"] == 340
    employer = db.session.scalar(select(func.count()).select_from(Member).where(
        Member.affiliation_id.is_(None), Member.category == "in_service", Member.work_unit_id.is_not(None)))
    assert employer == 12990
    kinds = dict(db.session.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    assert kinds["community"] == 36 and kinds["street"] == 6
    assert 200 <= len(loaded.work_unit_ids) <= 500


def test_every_member_passes_validation_and_has_a_liaison_group_in_its_community(db, loaded):
    orgs = {o.id: o for o in db.session.scalars(select(Organization))}  # in the identity map from here on
    members = db.session.scalars(select(Member)).all()
    assert len(members) == 1952 + 12990
    for m in members:
        m.validate()
        assert orgs[m.liaison_group_id].parent_id == m.location_id
        assert orgs[m.location_id].kind == "community"
    assert len({m.id_number for m in members}) == len(members)
    db.session.rollback()


def test_demo_is_recorded_once_in_the_audit_log(db, loaded):
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "demo")).all()
    assert len(entries) == 1 and entries[0].after["retired"] == 927


def test_demo_refuses_a_database_with_members(db, loaded):
    with pytest.raises(demo.DemoError, match="已有党员"):
        demo.load(today=TODAY)


def test_new_rows_after_the_demo_get_fresh_ids(db, loaded):
    org = Organization(kind="branch", name="新支部", code="NEW", parent_id=loaded.community_ids[0])
    db.session.add(org)
    db.session.commit()
    assert org.id > max(loaded.community_ids)


def _fingerprint(app_):
    from core.extensions import db
    with app_.app_context():
        demo.load(today=TODAY)
        rows = db.session.execute(select(Member.name, Member.id_number, Member.category, Member.location_id)
                                  .order_by(Member.id)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_demo_is_deterministic(make_app):
    assert _fingerprint(make_app()) == _fingerprint(make_app())


def test_the_city_grows_in_its_own_proportions(db):
    grown = demo.load(today=TODAY, members=3000)
    assert db.session.scalar(select(func.count()).select_from(Member)) == 3000
    kinds = dict(db.session.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all())
    assert kinds["community"] == round(36 * 3000 / demo.SEED_MEMBERS) == len(grown.community_ids)
    assert kinds["street"] == -(-kinds["community"] // 6)
    assert len(grown.members["retired"]) == round(927 * 3000 / demo.SEED_MEMBERS)
    assert len(grown.employer_member_ids) == 3000 - sum(len(ids) for ids in grown.members.values())
    attendance = db.session.scalar(select(func.count()).select_from(Attendance).join(Attendance.activity)
                                   .join(Member, Member.id == Attendance.member_id)
                                   .where(Activity.org_id == Member.affiliation_id))
    members_in_branches = db.session.scalar(select(func.count()).select_from(Member)
                                            .where(Member.affiliation_id.is_not(None)))
    # 18 meetings a year for each branch member (a few members change branch in the modes' demo data)
    assert abs(attendance - 18 * members_in_branches) < 0.01 * attendance
    present = db.session.scalar(select(func.count()).select_from(Attendance).join(Attendance.activity)
                                .join(Member, Member.id == Attendance.member_id)
                                .where(Activity.org_id == Member.affiliation_id, Attendance.present))
    assert 0.85 < present / attendance < 0.95


def test_a_city_too_small_to_have_every_category_is_refused(db):
    with pytest.raises(demo.DemoError, match="至少"):
        demo.load(today=TODAY, members=999)
