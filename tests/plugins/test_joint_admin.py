"""共管 screens: scoped lists, details, exports and the matching screen; bad input refused; the member panel."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import idcard
from core.errors import ValidationError
from core.models import AuditEntry, Member, Organization, WorkUnit
from core.testing import csrf_token
from plugins.joint.models import (JointAgreement, JointHardship, JointHardshipAction, JointProfile,
                                  JointTaskOption, JointVisit)

BIRTH = dt.date(1950, 5, 17)


@pytest.fixture
def city(db):
    """Street S with communities A and B, each with a retiree and all of its 共管 records."""
    street = Organization(kind="street", name="滨河路街道党工委", code="S")
    db.session.add(street)
    unit = WorkUnit(name="金川集团", kind="state_owned")
    world = {"street": street, "unit": unit}
    for key, seq in (("A", 1), ("B", 101)):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street)
        branch = Organization(kind="branch", name=f"社区{key}离退休党支部", code=f"{key}B", parent=community)
        retiree = Member(name=f"{key}退休党员", gender="female", birth_date=BIRTH,
                         id_number=idcard.make_number("620302", BIRTH, seq, "female"), phone=f"1380000{seq:04d}",
                         joined_on=dt.date(1975, 7, 1), confirmed_on=dt.date(1976, 7, 1), status="full",
                         category="retired", affiliation=branch, location=community, education="bachelor")
        profile = JointProfile(member=retiree, former_unit=unit, unit_contact=f"{key}原单位联系人",
                               unit_contact_phone="13912345678", health="good", expertise=f"{key}专长调解",
                               tasks=",民事调解,")
        visit = JointVisit(member=retiree, visited_on=dt.date(2026, 10, 1), visitors=f"{key}走访人",
                           occasion="festival", given="米面油")
        hardship = JointHardship(member=retiree, kind="housing", description=f"{key}房屋漏水",
                                 reported_on=dt.date(2026, 9, 1), state="in_progress",
                                 actions=[JointHardshipAction(acted_on=dt.date(2026, 9, 5), action=f"{key}联系物业")])
        agreement = JointAgreement(org=community, work_unit=unit, signed_on=dt.date(2025, 1, 1),
                                   review_on=dt.date(2027, 1, 1), unit_contact=f"{key}协议联系人")
        option = JointTaskOption(org=community, name=f"{key}垃圾分类督导")
        db.session.add_all([community, branch, retiree, profile, visit, hardship, agreement, option])
        world[key] = {"community": community, "retiree": retiree, "profile": profile, "visit": visit,
                      "hardship": hardship, "agreement": agreement, "option": option}
    db.session.commit()
    return world


def body(response):
    return response.get_data(as_text=True)


SCREENS = [("joint_profile", "profile", "{}专长调解"), ("joint_visit", "visit", "{}走访人"),
           ("joint_hardship", "hardship", "{}退休党员"), ("joint_agreement", "agreement", "{}协议联系人"),
           ("joint_task_option", "option", "{}垃圾分类督导")]


def test_each_screen_lists_and_exports_only_the_staffers_rows(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    for endpoint, _record, marker in SCREENS:
        page = body(a.get(f"/admin/{endpoint}/"))
        assert marker.format("A") in page and marker.format("B") not in page, endpoint
        export = a.get(f"/admin/{endpoint}/export/csv/")
        assert export.status_code == 200, endpoint
        text = export.get_data().decode("utf-8-sig")
        assert marker.format("A") in text and marker.format("B") not in text, endpoint


def test_another_communitys_record_is_404_by_id(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    for endpoint, record, _marker in SCREENS:
        theirs, mine = city["B"][record].id, city["A"][record].id
        assert a.get(f"/admin/{endpoint}/details/?id={theirs}").status_code == 404, endpoint
        assert a.get(f"/admin/{endpoint}/edit/?id={theirs}").status_code == 404, endpoint
        assert a.get(f"/admin/{endpoint}/details/?id={mine}").status_code == 200, endpoint


def test_street_staff_see_both_communities(city, staff_client):
    s = staff_client("street", city["street"])
    page = body(s.get("/admin/joint_visit/"))
    assert "A走访人" in page and "B走访人" in page


def test_the_contact_phone_is_masked_without_the_right(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get("/admin/joint_profile/"))
    assert "139****5678" in page and "13912345678" not in page
    assert "13912345678" in body(staff_client("community", city["A"]["community"], sensitive=True)
                                 .get("/admin/joint_profile/"))


def test_matching_lists_willing_and_able_retirees_of_the_staffers_communities(city, staff_client, db):
    frail = Member(name="A卧床党员", gender="female", birth_date=BIRTH,
                   id_number=idcard.make_number("620302", BIRTH, 50, "female"), joined_on=dt.date(1975, 7, 1),
                   confirmed_on=dt.date(1976, 7, 1), status="full", category="retired",
                   affiliation=city["A"]["community"], location=city["A"]["community"])
    db.session.add_all([frail, JointProfile(member=frail, health="bedridden", tasks=",民事调解,", expertise="调解")])
    db.session.commit()
    a = staff_client("community", city["A"]["community"])
    page = body(a.get("/admin/joint_matching/?task=民事调解"))
    assert "A退休党员" in page and "B退休党员" not in page and "A卧床党员" not in page
    assert "A垃圾分类督导" in page and "B垃圾分类督导" not in page  # the community's own tasks are offered
    page = body(a.get(f"/admin/joint_matching/?task=民事调解&org={city['B']['community'].id}"))
    assert "B退休党员" not in page and "A退休党员" not in page
    page = body(a.get("/admin/joint_matching/?task=治安防范"))
    assert "A退休党员" not in page and "没有符合条件的离退休党员" in page
    page = body(a.get("/admin/joint_matching/?expertise=调解"))
    assert "A退休党员" in page and "A卧床党员" not in page
    assert "B退休党员" in body(staff_client("street", city["street"]).get("/admin/joint_matching/?task=民事调解"))


def test_a_visit_in_the_future_is_refused_in_chinese_and_nothing_saved(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    before = db.session.scalar(select(func.count()).select_from(JointVisit))
    future = dt.date.today() + dt.timedelta(days=3)
    response = a.post("/admin/joint_visit/new/", data={
        "csrf_token": csrf_token(a, "/admin/joint_visit/new/"), "member": str(city["A"]["retiree"].id),
        "visited_on": future.isoformat(), "occasion": "routine", "visitors": "社区书记"}, follow_redirects=True)
    assert f"走访日期 {future.isoformat()} 晚于今天" in body(response)
    assert db.session.scalar(select(func.count()).select_from(JointVisit)) == before


def test_a_visit_to_another_communitys_retiree_is_refused(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    before = db.session.scalar(select(func.count()).select_from(JointVisit))
    a.post("/admin/joint_visit/new/", data={
        "csrf_token": csrf_token(a, "/admin/joint_visit/new/"), "member": str(city["B"]["retiree"].id),
        "visited_on": "2026-11-01", "occasion": "routine", "visitors": "社区书记"}, follow_redirects=True)
    assert db.session.scalar(select(func.count()).select_from(JointVisit)) == before
    # The same form for her own community's retiree saves.
    a.post("/admin/joint_visit/new/", data={
        "csrf_token": csrf_token(a, "/admin/joint_visit/new/"), "member": str(city["A"]["retiree"].id),
        "visited_on": "2026-11-01", "occasion": "routine", "visitors": "社区书记"}, follow_redirects=True)
    assert db.session.scalar(select(func.count()).select_from(JointVisit)) == before + 1


def test_a_profile_is_created_with_its_tasks_and_audited(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    newcomer = Member(name="A新退休", gender="female", birth_date=BIRTH,
                      id_number=idcard.make_number("620302", BIRTH, 60, "female"), joined_on=dt.date(1975, 7, 1),
                      confirmed_on=dt.date(1976, 7, 1), status="full", category="retired",
                      affiliation=city["A"]["community"], location=city["A"]["community"])
    db.session.add(newcomer)
    db.session.commit()
    response = a.post("/admin/joint_profile/new/", data={
        "csrf_token": csrf_token(a, "/admin/joint_profile/new/"), "member": str(newcomer.id),
        "former_unit": str(city["unit"].id), "unit_contact": "赵主任", "health": "fair",
        "task_choices": ["民事调解", "A垃圾分类督导"]})
    assert response.status_code == 302, body(response)[:2000]
    profile = db.session.scalar(select(JointProfile).where(JointProfile.member_id == newcomer.id))
    assert profile.tasks == ",民事调解,A垃圾分类督导," and profile.health == "fair"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.table_name == "joint_profile", AuditEntry.record_id == str(profile.id))) >= 1


def test_a_profile_for_a_member_who_is_not_retired_is_refused(city, db):
    resident = Member(name="居民党员", gender="female", birth_date=BIRTH,
                      id_number=idcard.make_number("620302", BIRTH, 70, "female"), joined_on=dt.date(1975, 7, 1),
                      confirmed_on=dt.date(1976, 7, 1), status="full", category="resident",
                      affiliation=city["A"]["community"], location=city["A"]["community"])
    db.session.add(resident)
    db.session.commit()
    db.session.add(JointProfile(member=resident, health="good"))
    with pytest.raises(ValidationError) as raised:
        db.session.commit()
    assert raised.value.errors == {"member": ["“居民党员”不是离退休党员，不能建立共管档案"]}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(JointProfile).where(
        JointProfile.member_id == resident.id)) == 0


@pytest.mark.parametrize("fields, field, message", [
    ({"state": "resolved"}, "resolved_on", "已解决的困难须填写解决日期"),
    ({"state": "open", "resolved_on": dt.date(2026, 9, 10)}, "resolved_on", "尚未解决的困难不能填写解决日期"),
    ({"state": "resolved", "resolved_on": dt.date(2026, 8, 1)}, "resolved_on", "解决日期不能早于反映日期"),
    ({"kind": "lottery"}, "kind", "困难类型无效"),
])
def test_bad_hardships_are_refused(city, db, fields, field, message):
    values = {"member": city["A"]["retiree"], "kind": "care", "reported_on": dt.date(2026, 9, 1), "state": "open"}
    values.update(fields)
    db.session.add(JointHardship(**values))
    with pytest.raises(ValidationError) as raised:
        db.session.commit()
    assert raised.value.errors[field] == [message]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(JointHardship)) == 2


def test_an_agreement_must_be_with_a_community_and_reviewed_after_signing(city, db):
    db.session.add(JointAgreement(org=city["street"], work_unit=city["unit"], signed_on=dt.date(2025, 1, 1),
                                  review_on=dt.date(2024, 1, 1)))
    with pytest.raises(ValidationError) as raised:
        db.session.commit()
    assert raised.value.errors == {"org": ["协议的一方须为社区党组织，“滨河路街道党工委”不是"],
                                   "review_on": ["复核日期须晚于签订日期"]}
    db.session.rollback()


def test_the_member_page_shows_profile_visits_and_hardships(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/member/details/?id={city['A']['retiree'].id}"))
    assert "A原单位联系人" in page and "A走访人" in page and "A房屋漏水" in page and "A联系物业" in page


def test_the_profile_list_shows_age_and_education_from_the_member(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get("/admin/joint_profile/"))
    today = dt.date.today()
    age = today.year - 1950 - ((today.month, today.day) < (5, 17))
    assert f">{age}<" in page.replace(" ", "").replace("\n", "") and "本科" in page


def test_the_member_lookup_offers_only_retirees_in_scope(city, staff_client, db):
    resident = Member(name="A居民党员", gender="female", birth_date=BIRTH,
                      id_number=idcard.make_number("620302", BIRTH, 80, "female"), joined_on=dt.date(1975, 7, 1),
                      confirmed_on=dt.date(1976, 7, 1), status="full", category="resident",
                      affiliation=city["A"]["community"], location=city["A"]["community"])
    db.session.add(resident)
    db.session.commit()
    a = staff_client("community", city["A"]["community"])
    found = [name for _id, name in a.get("/admin/joint_visit/ajax/lookup/?name=member&query=A").get_json()]
    assert found == ["A退休党员"]
    assert a.get("/admin/joint_visit/ajax/lookup/?name=member&query=B").get_json() == []


def test_bulk_delete_removes_only_the_staffers_rows(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/joint_visit/")
    mine, theirs = city["A"]["visit"].id, city["B"]["visit"].id
    a.post("/admin/joint_visit/action/", data={"action": "delete", "rowid": [mine, theirs], "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(JointVisit, mine) is None
    assert db.session.get(JointVisit, theirs) is not None


def test_anonymous_visitors_go_to_log_in(client):
    for url in ("/admin/joint_matching/?task=民事调解", "/admin/joint_profile/", "/admin/joint_visit/export/csv/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
