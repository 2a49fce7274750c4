"""Privacy by construction, the scope half: identity questions are answered only inside the asker's scope
(the same refusal whatever the reason, the real case queued for the staff above both sides), and no
write path (form, import, approval) creates, moves or unlinks anything outside the writer's scope."""
import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core import idcard, identity, privacy, roster, scope
from core.models import AuditEntry, IdentityConflict, Member, Organization, Staff, Transfer, WorkUnit
from core.extensions import db as database
from core.testing import csrf_token
from plugins.dual import imports as dual_imports
from plugins.dual.models import LIVES_ELSEWHERE, Registration, Signup

BIRTH = dt.date(1970, 3, 14)
ROSTER_HEADERS = ("姓名", "身份证号", "性别", "入党时间", "转正日期", "类别", "所属党组织", "所在社区", "联络小组")
DUAL_HEADERS = ("姓名", "身份证号", "所在社区", "工作单位", "入党日期", "转正日期")


def number(seq):
    return idcard.make_number("620302", BIRTH, seq, "male")


def person(seq, name, category="retired", **links):
    return Member(name=name, gender="male", birth_date=BIRTH, id_number=number(seq), joined_on=dt.date(1995, 7, 1),
                  confirmed_on=dt.date(1996, 7, 1), status="full", category=category, **links)


@pytest.fixture
def city(db):
    """District D > streets S and T; S > communities A and B, each with a branch and a liaison group.
    `theirs` belongs to B alone; `shared` is affiliated with A's branch and lives in B; `commuter` works
    at an employer and lives in B."""
    district = Organization(kind="district", name="金川区委", code="D")
    street = Organization(kind="street", name="滨河路街道党工委", code="S", parent=district)
    other_street = Organization(kind="street", name="新华路街道党工委", code="T", parent=district)
    world = {"district": district, "street": street, "other_street": other_street}
    db.session.add_all([district, street, other_street])
    for key in ("A", "B"):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street)
        branch = Organization(kind="branch", name=f"社区{key}第一党支部", code=f"{key}B", parent=community)
        group = Organization(kind="liaison_group", name=f"社区{key}联络小组", code=f"{key}L", parent=community)
        db.session.add_all([community, branch, group])
        world[key] = {"community": community, "branch": branch, "group": group}
    unit = WorkUnit(name="金川集团", kind="state_owned")
    world["unit"] = unit
    world["theirs"] = person(1, "乙社区党员", affiliation=world["B"]["branch"], location=world["B"]["community"])
    world["shared"] = person(2, "两边党员", category="in_service", affiliation=world["A"]["branch"],
                             location=world["B"]["community"],
                             liaison_group=world["B"]["group"])
    world["commuter"] = person(3, "在职党员", category="in_service", work_unit=unit,
                               location=world["B"]["community"])
    db.session.add_all([unit, world["theirs"], world["shared"], world["commuter"]])
    db.session.commit()
    return world


def staffer(org, role="community"):
    """A staffer the import functions act as (the screens' staff come from `staff_client`)."""
    staff = Staff(username=f"{role}-{org.code}", display_name=org.name, role=role, org=org)
    staff.set_password("0123456789ab")
    database.session.add(staff)
    database.session.commit()
    return staff


def sheet(headers, rows):
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_row(seq, name, affiliation="社区A第一党支部", location="A"):
    return [name, number(seq), "男", "1995-07-01", "1996-07-01", "离退休党员", affiliation, location, ""]


def conflicts(db, **where):
    return db.session.scalars(select(IdentityConflict).filter_by(**where).order_by(IdentityConflict.id)).all()


def body(response):
    return response.get_data(as_text=True)


# -- identity questions ------------------------------------------------------------------------
def test_roster_import_answers_a_number_held_elsewhere_as_any_refusal_and_queues_it_once(city, db):
    a = staffer(city["A"]["community"])
    right = roster.validate(sheet(ROSTER_HEADERS, [roster_row(1, "乙社区党员")]), "名册.xlsx", a)
    wrong = roster.validate(sheet(ROSTER_HEADERS, [roster_row(1, "随便写的")]), "名册.xlsx", a)
    assert [e.message for e in right.errors] == [e.message for e in wrong.errors] == [identity.refusal()]
    assert "社区B" not in identity.refusal() and "乙社区党员" not in identity.refusal()
    (case,) = conflicts(db)
    assert (case.member_id, case.asker_org_id, case.ancestor_id, case.source, case.state) == (
        city["theirs"].id, city["A"]["community"].id, city["street"].id, "roster", "open")
    committed = roster.commit(sheet(ROSTER_HEADERS, [roster_row(1, "乙社区党员")]), "名册.xlsx", a)
    assert not committed.committed and len(conflicts(db)) == 1
    db.session.expire_all()
    assert db.session.get(Member, city["theirs"].id).affiliation_id == city["B"]["branch"].id


def test_roster_import_refuses_a_new_member_outside_the_scope_as_the_form_does(city, db, staff_client):
    a = staffer(city["A"]["community"])
    # The street is linkable (it is above her), but a member held only by the street is not hers.
    report = roster.commit(sheet(ROSTER_HEADERS, [roster_row(50, "街道党员", affiliation="S", location="")]),
                           "名册.xlsx", a)
    assert [(e.column, e.message) for e in report.errors] == [("所属党组织", str(scope.OUT_OF_SCOPE))]
    assert not report.committed
    assert db.session.scalar(select(func.count()).select_from(Member).where(Member.id_number == number(50))) == 0
    client = staff_client("community", city["A"]["community"], sensitive=True)
    page = body(client.post("/admin/member/new/", data={
        "csrf_token": csrf_token(client, "/admin/member/new/"), "name": "街道党员", "id_number": number(50),
        "gender": "male", "birth_date": BIRTH.isoformat(), "ethnicity": "汉族", "joined_on": "1995-07-01",
        "confirmed_on": "1996-07-01", "status": "full", "probation_extension_months": "0", "category": "retired",
        "state": "active",
        "affiliation": city["street"].id}, follow_redirects=True))
    assert str(scope.OUT_OF_SCOPE) in page
    assert db.session.scalar(select(func.count()).select_from(Member).where(Member.id_number == number(50))) == 0
    # Inside the scope the same file goes through.
    report = roster.commit(sheet(ROSTER_HEADERS, [roster_row(50, "街道党员")]), "名册.xlsx", a)
    assert report.committed and report.created == 1


def test_dual_import_answers_a_member_elsewhere_as_any_refusal(city, db):
    a = staffer(city["A"]["community"])
    right = dual_imports.validate(sheet(DUAL_HEADERS, [["在职党员", number(3), "A", "金川集团", "", ""]]), "名单.xlsx", a)
    wrong = dual_imports.validate(sheet(DUAL_HEADERS, [["别的名字", number(3), "A", "金川集团", "", ""]]), "名单.xlsx", a)
    assert [e.message for e in right.errors] == [e.message for e in wrong.errors] == [identity.refusal()]
    assert not right.registrations
    (case,) = conflicts(db)
    assert (case.member_id, case.source, case.ancestor_id) == (city["commuter"].id, "dual_import", city["street"].id)
    # Her own member who lives in B is not registered with A either (that would take him from B), as the form says.
    shared = dual_imports.validate(sheet(DUAL_HEADERS, [["两边党员", number(2), "A", "金川集团", "", ""]]), "名单.xlsx", a)
    assert [(e.column, e.message) for e in shared.errors] == [("所在社区", str(LIVES_ELSEWHERE))]
    # B's own staff may register him where he lives.
    b = staffer(city["B"]["community"])
    report = dual_imports.commit(sheet(DUAL_HEADERS, [["在职党员", number(3), "B", "金川集团", "", ""]]), "名单.xlsx", b)
    assert report.committed, report.errors
    assert db.session.scalar(select(Registration.org_id).where(Registration.member_id == city["commuter"].id)) \
        == city["B"]["community"].id


def test_the_registration_form_refuses_a_member_living_elsewhere_as_the_import_does(city, db, staff_client):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/dual_registration/new/")
    page = body(a.post("/admin/dual_registration/new/", data={
        "csrf_token": token, "member": city["shared"].id, "org": city["A"]["community"].id,
        "registered_on": "2026-01-05", "card_no": "A-00001", "state": "registered"}, follow_redirects=True))
    assert str(LIVES_ELSEWHERE) in page
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def _new_member_form(client, seq, name, **extra):
    return {"csrf_token": csrf_token(client, "/admin/member/new/"), "name": name, "id_number": number(seq),
            "gender": "male", "birth_date": BIRTH.isoformat(), "ethnicity": "汉族", "joined_on": "1995-07-01",
            "confirmed_on": "1996-07-01", "status": "full", "probation_extension_months": "0", "category": "retired",
            "state": "active", **extra}


def test_creating_a_member_with_a_number_held_elsewhere_reveals_nothing(city, db, staff_client):
    a = staff_client("community", city["A"]["community"], sensitive=True)
    mine = {"affiliation": city["A"]["branch"].id, "location": city["A"]["community"].id}
    pages = [body(a.post("/admin/member/new/", data=_new_member_form(a, 1, name, **mine), follow_redirects=True))
             for name in ("乙社区党员", "随便写的")]
    for page in pages:
        assert identity.refusal() in page
        assert "乙社区党员" not in page.replace('value="乙社区党员"', "") and "社区B" not in page
    assert db.session.scalar(select(func.count()).select_from(Member).where(Member.id_number == number(1))) == 1
    (case,) = conflicts(db)
    assert (case.source, case.asker_org_id) == ("member_form", city["A"]["community"].id)
    # A number held inside her scope is hers to know about.
    page = body(a.post("/admin/member/new/", data=_new_member_form(a, 2, "重复", **mine), follow_redirects=True))
    assert "两边党员" in page and identity.refusal() not in page


# -- the conflict queue -------------------------------------------------------------------------
@pytest.fixture
def case(city, db):
    a = staffer(city["A"]["community"])
    roster.validate(sheet(ROSTER_HEADERS, [roster_row(1, "乙社区党员")]), "名册.xlsx", a)
    (filed,) = conflicts(db)
    return filed


def test_the_queue_is_the_common_ancestors_and_masks_the_number(city, case, staff_client):
    street = staff_client("street", city["street"])
    page = body(street.get("/admin/identity_conflict/"))
    full = city["theirs"].id_number
    assert "乙社区党员" in page and "社区A" in page
    assert full not in page and privacy.mask(full, "id_number") in page
    assert full not in body(street.get(f"/admin/identity_conflict/details/?id={case.id}"))
    assert full in body(staff_client("street", city["street"], sensitive=True).get("/admin/identity_conflict/"))
    for org in (city["A"]["community"], city["B"]["community"], city["other_street"]):
        other = staff_client("community" if org.kind == "community" else "street", org)
        assert "乙社区党员" not in body(other.get("/admin/identity_conflict/"))
        assert other.get(f"/admin/identity_conflict/details/?id={case.id}").status_code == 404


def _act(client, name, case):
    token = csrf_token(client, "/admin/identity_conflict/")
    return client.post("/admin/identity_conflict/action/", data={"action": name, "rowid": [case.id],
                                                                 "csrf_token": token}, follow_redirects=True)


def test_merge_gives_the_member_the_askers_community_audited(city, case, db, staff_client):
    a = staff_client("community", city["A"]["community"])
    _act(a, "merge", case)  # not hers to settle: nothing happens
    db.session.expire_all()
    assert db.session.get(IdentityConflict, case.id).state == "open"
    street = staff_client("street", city["street"])
    _act(street, "merge", case)
    db.session.expire_all()
    settled = db.session.get(IdentityConflict, case.id)
    assert (settled.state, settled.resolved_by_id) == ("merged", street.staff.id)
    member = db.session.get(Member, city["theirs"].id)
    assert (member.affiliation_id, member.location_id) == (city["B"]["branch"].id, city["A"]["community"].id)
    logged = db.session.scalars(select(AuditEntry.table_name).where(AuditEntry.actor_id == street.staff.id)).all()
    assert {"identity_conflict", "member"} <= set(logged)
    assert all(city["theirs"].id_number not in str(entry.after) for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "identity_conflict")))


def test_transfer_issues_a_letter_to_the_asker_and_reject_changes_nothing(city, case, db, staff_client):
    street = staff_client("street", city["street"])
    _act(street, "transfer", case)
    db.session.expire_all()
    assert db.session.get(IdentityConflict, case.id).state == "transferred"
    (letter,) = db.session.scalars(select(Transfer).where(Transfer.member_id == city["theirs"].id)).all()
    assert (letter.direction, letter.from_org_id, letter.to_org_id, letter.state) == (
        "internal", city["B"]["branch"].id, city["A"]["community"].id, "issued")
    # A second case, between streets: the district's, not the street's, and rejected there.
    other = staffer(city["other_street"], "street")
    roster.validate(sheet(ROSTER_HEADERS, [roster_row(1, "乙社区党员", "T", "")]), "名册.xlsx", other)
    (second,) = conflicts(db, asker_org_id=city["other_street"].id)
    assert second.ancestor_id == city["district"].id
    assert street.get(f"/admin/identity_conflict/details/?id={second.id}").status_code == 404
    district = staff_client("street", city["district"])  # no district role: a street role's rights over its subtree
    _act(district, "reject", second)
    db.session.expire_all()
    assert db.session.get(IdentityConflict, second.id).state == "rejected"
    member = db.session.get(Member, city["theirs"].id)
    assert (member.affiliation_id, member.location_id) == (city["B"]["branch"].id, city["B"]["community"].id)


# -- scope invariants on writes -----------------------------------------------------------------
def _member_edit_form(client, member, **fields):
    return {"csrf_token": csrf_token(client, f"/admin/member/edit/?id={member.id}"), "name": member.name,
            "id_number": member.id_number, "gender": "male", "birth_date": BIRTH.isoformat(), "ethnicity": "汉族",
            "joined_on": "1995-07-01", "confirmed_on": "1996-07-01", "status": "full",
            "probation_extension_months": "0", "category": member.category, "state": "active", **fields}


def test_editing_a_shared_member_keeps_the_other_communitys_side(city, db, staff_client):
    a = staff_client("community", city["A"]["community"], sensitive=True)
    shared = city["shared"]
    form = body(a.get(f"/admin/member/edit/?id={shared.id}"))
    assert "社区B" in form and "不在您的管理范围内，保存时保持不变" in form
    # Posted as a browser does (a disabled select is not sent), then empty, then pointing elsewhere.
    for links in ({}, {"location": "__None", "liaison_group": "__None"},
                  {"location": city["A"]["community"].id, "liaison_group": city["A"]["group"].id}):
        response = a.post(f"/admin/member/edit/?id={shared.id}", data=_member_edit_form(
            a, shared, name="两边党员", phone="13900001111", affiliation=city["A"]["branch"].id, **links))
        assert response.status_code == 302, body(response)
        db.session.expire_all()
        kept = db.session.get(Member, shared.id)
        assert (kept.location_id, kept.liaison_group_id, kept.affiliation_id) == (
            city["B"]["community"].id, city["B"]["group"].id, city["A"]["branch"].id)
    assert kept.phone == "13900001111"
    # B's roster may update her (she lives in B) but not take her from A's branch.
    b = staffer(city["B"]["community"])
    report = roster.commit(sheet(ROSTER_HEADERS, [roster_row(2, "两边党员", "社区B第一党支部", "B")]), "名册.xlsx", b)
    assert [(e.column, e.message) for e in report.errors] == [("所属党组织", "该党员的所属党组织不在您的管理范围内，不能修改")]
    db.session.expire_all()
    assert db.session.get(Member, shared.id).affiliation_id == city["A"]["branch"].id


def _org_form(client, org, parent):
    return {"csrf_token": csrf_token(client, f"/admin/organization/edit/?id={org.id}"), "parent": parent.id,
            "kind": org.kind, "name": org.name, "code": org.code}


def test_moving_an_organization_needs_both_parents_in_scope(city, db, staff_client):
    community = city["A"]["community"]
    own = staff_client("community", community)
    # The district is above her and so a choice, but moving her community there takes it from the street.
    page = body(own.post(f"/admin/organization/edit/?id={community.id}",
                         data=_org_form(own, community, city["district"]), follow_redirects=True))
    assert "调整上级组织须由同时管理原上级和新上级的党组织办理" in page
    street = staff_client("street", city["street"])
    street.post(f"/admin/organization/edit/?id={community.id}",
                data=_org_form(street, community, city["other_street"]))
    db.session.expire_all()
    assert db.session.get(Organization, community.id).parent_id == city["street"].id
    district = staff_client("street", city["district"])  # no district role: a street role's rights over its subtree
    response = district.post(f"/admin/organization/edit/?id={community.id}",
                             data=_org_form(district, community, city["other_street"]))
    assert response.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Organization, community.id)
    assert moved.parent_id == city["other_street"].id
    assert db.session.get(Organization, city["A"]["branch"].id).path.startswith(moved.path)


def test_approving_a_signup_of_someone_living_elsewhere_is_refused_and_queued(city, db, staff_client):
    signups = [Signup(org=city["A"]["community"], name=name, id_number=id_number, phone="13900000000",
                      employer="金川集团", address="10.0.0.1")
               for name, id_number in (("在职党员", number(3)), ("不认识的", number(99)))]
    db.session.add_all(signups)
    db.session.commit()
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/dual_signup/")
    pages = [body(a.post("/admin/dual_signup/action/", data={"action": "approve", "rowid": [s.id],
                                                            "csrf_token": token}, follow_redirects=True))
             for s in signups]
    assert all(identity.refusal() in page and "社区B" not in page for page in pages)
    db.session.expire_all()
    assert [db.session.get(Signup, s.id).state for s in signups] == ["pending", "pending"]
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    (queued,) = conflicts(db)
    assert (queued.member_id, queued.source, queued.ancestor_id) == (
        city["commuter"].id, "dual_signup", city["street"].id)


def test_a_member_no_organization_holds_is_left_to_the_administrators(city, db, staff_client):
    unplaced = person(60, "单位党员", work_unit=city["unit"])
    db.session.add(unplaced)
    db.session.commit()
    roster.validate(sheet(ROSTER_HEADERS, [roster_row(60, "单位党员")]), "名册.xlsx", staffer(city["A"]["community"]))
    (filed,) = conflicts(db)
    assert filed.ancestor_id is None
    for role, org in (("community", city["A"]["community"]), ("street", city["street"])):
        assert "单位党员" not in body(staff_client(role, org).get("/admin/identity_conflict/"))
    assert "单位党员" in body(staff_client("admin").get("/admin/identity_conflict/"))


def test_a_roster_import_without_the_right_leaves_a_personal_value_as_the_form_does(city, db):
    shared = person(5, "甲社区党员", affiliation=city["A"]["branch"], location=city["A"]["community"],
                    phone="13900001111")
    db.session.add(shared)
    db.session.commit()
    headers = (*ROSTER_HEADERS, roster.COLUMNS["phone"][0])
    row = [*roster_row(5, "甲社区党员"), "13800002222"]
    report = roster.commit(sheet(headers, [row]), "名册.xlsx", staffer(city["A"]["community"]))
    assert report.ok and report.updated == 0, [(e.column, e.message) for e in report.errors]
    db.session.refresh(shared)
    assert shared.phone == "13900001111"
    allowed = staffer(city["street"], role="street")
    allowed.can_see_sensitive = True
    db.session.commit()
    assert roster.commit(sheet(headers, [row]), "名册.xlsx", allowed).updated == 1
    db.session.refresh(shared)
    assert shared.phone == "13800002222"
