"""双管's screens: scoped to the staffer's community; bad input refused in Chinese; the public sign-up form."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import idcard, identity
from core.errors import ValidationError
from core.models import Organization, WorkUnit
from core.testing import csrf_token
from factories import member
from plugins.dual.models import Evaluation, Feedback, OpinionRequest, Post, Registration, Service, Signup

VIEWS = ["dual_registration", "dual_post", "dual_service", "dual_evaluation", "dual_feedback", "dual_opinion",
         "dual_signup"]


def body(response):
    return response.get_data(as_text=True)


@pytest.fixture
def city(db):
    """Street S with communities A and B; in each an in-service member with one record of every kind."""
    street = Organization(kind="street", name="滨河路街道党工委", code="S")
    db.session.add(street)
    db.session.flush()
    unit = WorkUnit(name="金川集团", kind="state_owned")
    db.session.add(unit)
    world = {"street": street, "unit": unit}
    for key in ("A", "B"):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street)
        db.session.add(community)
        db.session.flush()
        person = member({"branch": None, "community": community, "group": None}, name=f"{key}在职党员",
                        category="in_service", affiliation=None, work_unit=unit, liaison_group=None)
        post = Post(org=community, name=f"{key}巡逻岗", needed=3)
        registration = Registration(member=person, org=community, registered_on=dt.date(2025, 3, 1),
                                    card_no=f"{key}卡0001", post=post)
        records = {
            "dual_registration": registration, "dual_post": post,
            "dual_service": Service(member=person, org=community, served_on=dt.date(2026, 10, 3),
                                    activity=f"{key}夜间巡逻", hours=2),
            "dual_evaluation": Evaluation(member=person, org=community, period="2025", grade="qualified",
                                          comment=f"{key}评语"),
            "dual_feedback": Feedback(org=community, work_unit=unit, period="2026-Q3", content=f"{key}反馈内容",
                                      members=[person]),
            "dual_opinion": OpinionRequest(member=person, org=community, work_unit=unit, purpose=f"{key}拟提拔",
                                           received_on=dt.date(2026, 11, 1)),
            "dual_signup": Signup(org=community, name=f"{key}申请人",
                                  id_number=idcard.make_number("620302", dt.date(1990, 1, 1), 7 if key == "A" else 8,
                                                               "male"),
                                  phone="13800001111", employer="金川集团", address="10.0.0.1"),
        }
        db.session.add(person)
        db.session.add(registration)
        db.session.flush()
        db.session.add_all(records.values())
        world[key] = {"community": community, "member": person, "records": records}
    db.session.commit()
    return world


MARKERS = {"dual_registration": "卡0001", "dual_post": "巡逻岗", "dual_service": "夜间巡逻",
           "dual_evaluation": "在职党员", "dual_feedback": "社区", "dual_opinion": "拟提拔", "dual_signup": "申请人"}


@pytest.mark.parametrize("view", VIEWS)
def test_lists_and_exports_hold_only_the_staffers_community(city, staff_client, view):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/{view}/"))
    assert "A" + MARKERS[view] in page or f"社区A" in page
    exported = a.get(f"/admin/{view}/export/csv/").get_data().decode("utf-8-sig")
    if view == "dual_feedback":
        assert "社区A" in exported and "社区B" not in exported
    else:
        assert "A" + MARKERS[view] in page and "B" + MARKERS[view] not in page
        assert "A" + MARKERS[view] in exported and "B" + MARKERS[view] not in exported
    street = body(staff_client("street", city["street"]).get(f"/admin/{view}/"))
    assert "社区B" in street or "B" + MARKERS[view] in street


@pytest.mark.parametrize("view", VIEWS)
def test_another_communitys_record_by_id_is_404(city, staff_client, view):
    a = staff_client("community", city["A"]["community"])
    target = city["B"]["records"][view]
    mine = city["A"]["records"][view]
    assert a.get(f"/admin/{view}/details/?id={mine.id}").status_code == 200
    assert a.get(f"/admin/{view}/details/?id={target.id}").status_code == 404
    assert a.get(f"/admin/{view}/edit/?id={target.id}").status_code == 404
    token = csrf_token(a, f"/admin/{view}/")
    assert a.post(f"/admin/{view}/delete/", data={"id": target.id, "csrf_token": token}).status_code == 404


def test_a_member_who_never_registered_that_year_cannot_be_rated_qualified(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    person = city["A"]["member"]  # registered 2025-03-01
    url = "/admin/dual_evaluation/new/"
    form = {"csrf_token": csrf_token(a, url), "member": person.id, "org": city["A"]["community"].id,
            "period": "2024", "grade": "qualified", "comment": "", "evaluated_on": "2025-01-05"}
    before = db.session.scalar(select(func.count(Evaluation.id)))
    page = body(a.post(url, data=form, follow_redirects=True))
    assert "该党员2024年未到社区报到，不能评为合格及以上等次" in page
    assert db.session.scalar(select(func.count(Evaluation.id))) == before
    # 基本合格 is allowed, and so is 合格 for a year the member was registered.
    form["grade"] = "basic"
    a.post(url, data=form)
    assert db.session.scalar(select(func.count(Evaluation.id))) == before + 1
    with pytest.raises(ValidationError) as refused:
        db.session.add(Evaluation(member=person, org=city["A"]["community"], period="2024-Q4", grade="excellent"))
        db.session.flush()
    assert "不能评为合格及以上等次" in str(refused.value)
    db.session.rollback()


def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    url = "/admin/dual_service/new/"
    form = {"csrf_token": csrf_token(a, url), "member": city["A"]["member"].id, "org": city["A"]["community"].id,
            "served_on": "2026-10-05", "activity": "巡逻", "hours": "30"}
    before = db.session.scalar(select(func.count(Service.id)))
    assert "服务时长应在0到24小时之间" in body(a.post(url, data=form, follow_redirects=True))
    url = "/admin/dual_registration/new/"
    form = {"csrf_token": csrf_token(a, url), "member": city["A"]["member"].id, "org": city["A"]["community"].id,
            "registered_on": "2026-01-05", "card_no": "A卡0002", "post": city["B"]["records"]["dual_post"].id,
            "state": "left"}
    page = body(a.post(url, data=form, follow_redirects=True))
    assert "已离开的须填写离开日期" in page
    assert db.session.scalar(select(func.count(Service.id))) == before
    assert db.session.scalar(select(func.count(Registration.id))) == 2


def test_the_member_page_shows_registration_hours_and_evaluations(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/member/details/?id={city['A']['member'].id}"))
    assert "A卡0001" in page and "A巡逻岗" in page and "2026年服务1次，共2.0小时" in page and "A评语" in page


def _signup(client, **fields):
    data = {"csrf_token": csrf_token(client, "/dual/register"), "name": "王小明", "phone": "13900000000",
            "employer": "金川集团"}
    data.update(fields)
    return client.post("/dual/register", data=data)


def test_the_public_form_says_the_same_for_known_and_unknown_people(city, client, db):
    known = city["A"]["member"]
    stranger = idcard.make_number("620302", dt.date(1991, 2, 3), 9, "male")
    first = _signup(client, name=known.name, id_number=known.id_number, community=city["A"]["community"].id)
    second = _signup(client, id_number=stranger, community=city["A"]["community"].id)
    assert first.status_code == second.status_code == 200
    assert body(first) == body(second) and "登记已提交" in body(first)
    assert db.session.scalar(select(func.count(Signup.id)).where(Signup.state == "pending")) == 4
    bad = _signup(client, id_number="620302199102031230", community=city["A"]["community"].id)
    assert bad.status_code == 400 and "登记已提交" not in body(bad)


def test_the_public_form_is_rate_limited_per_address(city, client, app, db):
    limit = app.config["PLUGINS"]["dual"]["signup_limit"]
    for n in range(limit):
        number = idcard.make_number("620302", dt.date(1991, 2, 3), 100 + n, "male")
        assert _signup(client, id_number=number, community=city["A"]["community"].id).status_code == 200
    refused = _signup(client, id_number=idcard.make_number("620302", dt.date(1991, 2, 3), 200, "male"),
                      community=city["A"]["community"].id)
    assert refused.status_code == 429 and "提交过于频繁" in body(refused)
    assert db.session.scalar(select(func.count(Signup.id))) == 2 + limit


def test_staff_approve_a_signup_into_a_registration(city, staff_client, client, db):
    known = city["A"]["member"]
    _signup(client, name=known.name, id_number=known.id_number, community=city["A"]["community"].id)
    signup = db.session.scalar(select(Signup).where(Signup.id_number == known.id_number))
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/dual_signup/")
    theirs = city["B"]["records"]["dual_signup"]
    a.post("/admin/dual_signup/action/", data={"action": "approve", "rowid": [signup.id, theirs.id],
                                               "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Signup, signup.id).state == "approved"
    assert db.session.get(Signup, theirs.id).state == "pending"
    registration = db.session.get(Signup, signup.id).registration
    assert registration.member_id == known.id and registration.org_id == city["A"]["community"].id
    # A stranger's signup is not approved: no member matches, and the refusal is the one for members elsewhere.
    stranger = city["A"]["records"]["dual_signup"]
    page = body(a.post("/admin/dual_signup/action/", data={"action": "approve", "rowid": [stranger.id],
                                                          "csrf_token": token}, follow_redirects=True))
    assert identity.refusal() in page and db.session.get(Signup, stranger.id).state == "pending"
