"""直管 screens: scoped lists, details, exports and PDFs; bad input refused in Chinese; the member panel."""
import datetime as dt
import io

import pypdf
import pytest
from sqlalchemy import func, select

from core import idcard
from core.errors import ValidationError
from core.models import AuditEntry, Member, Organization
from core.testing import csrf_token
from plugins.direct.models import Card, Pairing, Rating, Visit, Zone, ZoneBuilding, ZoneResponsible

BIRTH = dt.date(1962, 3, 9)
SCREENS = ["direct_zone", "direct_card", "direct_pairing", "direct_visit", "direct_rating"]


@pytest.fixture
def city(db):
    """Communities A and B of one street, each with a resident and every kind of 直管 record."""
    street = Organization(kind="street", name="滨河路街道党工委", code="S")
    db.session.add(street)
    world = {"street": street}
    for key, seq in (("A", 1), ("B", 101)):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street)
        branch = Organization(kind="branch", name=f"社区{key}第一党支部", code=f"{key}B", parent=community)
        m = Member(name=f"{key}居民", gender="male", birth_date=BIRTH,
                   id_number=idcard.make_number("620302", BIRTH, seq, "male"), joined_on=dt.date(1990, 7, 1),
                   confirmed_on=dt.date(1991, 7, 1), status="full", category="resident", affiliation=branch,
                   location=community, building="3号楼")
        zone = Zone(community=community, name=f"{key}第一责任区",
                    buildings=[ZoneBuilding(building="3号楼", units="1-2单元"), ZoneBuilding(building="4号楼")],
                    responsibles=[ZoneResponsible(member=m)])
        card = Card(community=community, number=f"{key}-2026-001", member=m, zone=zone,
                    issued_on=dt.date(2026, 1, 8), year=2026, role_policy=True, role_environment=True,
                    duties="负责3、4号楼的政策宣传和环境卫生监督")
        pairing = Pairing(member=m, household_name=f"{key}困难户", household_address="3号楼1单元101",
                          difficulty="elderly_alone", started_on=dt.date(2026, 2, 1),
                          visits=[Visit(visited_on=dt.date(2026, 3, 1), done=f"{key}上门走访", result="已解决")])
        rating = Rating(member=m, year=2025, good_citizen=True, good_member=True, note=f"{key}表现突出")
        db.session.add_all([community, branch, m, zone, card, pairing, rating])
        world[key] = {"community": community, "member": m, "zone": zone, "card": card, "pairing": pairing,
                      "visit": pairing.visits[0], "rating": rating}
    db.session.commit()
    return world


def body(response):
    return response.get_data(as_text=True)


RECORDS = {"direct_zone": ("zone", "{k}第一责任区"), "direct_card": ("card", "{k}-2026-001"),
           "direct_pairing": ("pairing", "{k}困难户"), "direct_visit": ("visit", "{k}上门走访"),
           "direct_rating": ("rating", "{k}表现突出")}


@pytest.mark.parametrize("screen", SCREENS)
def test_each_screen_shows_and_exports_only_the_staffers_community(city, staff_client, screen):
    a = staff_client("community", city["A"]["community"])
    record, text = RECORDS[screen]
    mine, theirs = text.format(k="A"), text.format(k="B")
    page = body(a.get(f"/admin/{screen}/"))
    assert mine in page and theirs not in page
    exported = a.get(f"/admin/{screen}/export/csv/").get_data().decode("utf-8-sig")
    assert mine in exported and theirs not in exported
    own, other = city["A"][record].id, city["B"][record].id
    assert a.get(f"/admin/{screen}/details/?id={own}").status_code == 200
    assert a.get(f"/admin/{screen}/details/?id={other}").status_code == 404
    assert a.get(f"/admin/{screen}/edit/?id={other}").status_code == 404
    street = staff_client("street", city["street"])
    page = body(street.get(f"/admin/{screen}/"))
    assert mine in page and theirs in page


def test_screens_sit_under_the_direct_menu(city, staff_client):
    page = body(staff_client("community", city["A"]["community"]).get("/admin/direct_zone/"))
    for title in ("直管", "党员责任区", "责任卡", "结对帮扶", "帮扶走访", "争五好评定"):
        assert title in page


def test_card_pdf_is_one_page_of_chinese_text_and_scoped(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    response = a.get(f"/admin/direct_card/pdf/{city['A']['card'].id}/")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in ("社区党员责任卡", "A-2026-001", "A居民", "社区A", "A第一责任区", "3号楼1-2单元", "党的政策宣传员",
                     "环境卫生监督员", "2026"):
        assert expected in text, expected
    assert a.get(f"/admin/direct_card/pdf/{city['B']['card'].id}/").status_code == 404


def test_member_page_shows_zone_card_pairings_and_ratings(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/member/details/?id={city['A']['member'].id}"))
    for expected in ("A第一责任区", "A-2026-001", "党的政策宣传员", "A困难户", "空巢/独居老人", "A上门走访",
                     "2025年度", "好公民", "A表现突出"):
        assert expected in page, expected
    assert "B困难户" not in page


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_card_number_is_unique_per_community_and_nothing_is_saved(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/direct_card/new/")
    before, audited = _count(db, Card), _count(db, AuditEntry)
    response = a.post("/admin/direct_card/new/", data={
        "csrf_token": token, "community": city["A"]["community"].id, "number": "A-2026-001",
        "member": city["A"]["member"].id, "issued_on": "2026-02-01", "year": "2026", "role_liaison": "y"})
    assert response.status_code == 200
    assert "本社区已有编号为A-2026-001的责任卡" in body(response)
    assert _count(db, Card) == before and _count(db, AuditEntry) == audited
    # The same number in another community is fine.
    card = Card(community=city["B"]["community"], number="A-2026-001", member=city["B"]["member"],
                issued_on=dt.date(2026, 2, 1), year=2026, role_liaison=True)
    db.session.add(card)
    db.session.commit()


def test_a_card_needs_a_role_and_a_member_of_the_community(city, db):
    card = Card(community=city["A"]["community"], number="A-2026-009", member=city["B"]["member"],
                issued_on=dt.date(2026, 2, 1), year=2026)
    db.session.add(card)
    with pytest.raises(ValidationError) as caught:
        db.session.flush()
    db.session.rollback()
    assert caught.value.errors == {"member": ["党员B居民不在社区A"], "role_policy": ["须至少承担五员中的一项职责"]}
    assert db.session.scalar(select(Card).where(Card.number == "A-2026-009")) is None


def test_a_building_belongs_to_one_zone_only(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/direct_zone/new/")
    response = a.post("/admin/direct_zone/new/", data={
        "csrf_token": token, "community": city["A"]["community"].id, "name": "A第二责任区",
        "buildings-0-building": "4号楼", "buildings-0-units": ""})
    assert response.status_code == 200
    assert "4号楼已属于责任区“A第一责任区”，一栋楼只能属于一个责任区" in body(response)
    assert db.session.scalar(select(Zone).where(Zone.name == "A第二责任区")) is None
    # Community B may have its own 4号楼.
    db.session.add(Zone(community=city["B"]["community"], name="B第二责任区", buildings=[ZoneBuilding(building="5号楼")]))
    db.session.commit()


def test_visits_and_ratings_refuse_bad_dates_and_duplicates(city, db):
    pairing = city["A"]["pairing"]
    for visit, message in [
        (Visit(pairing=pairing, visited_on=dt.date(2026, 1, 1), done="走访"), "走访日期不能早于结对日期 2026-02-01"),
        (Visit(pairing=pairing, visited_on=dt.date(2026, 3, 5), done=""), "须填写走访内容"),
        (Rating(member=city["A"]["member"], year=2025), "该党员2025年度已有争五好评定"),
        (Pairing(member=city["A"]["member"], household_name="某户", difficulty="other",
                 started_on=dt.date(2026, 5, 1), ended_on=dt.date(2026, 4, 1)), "结束日期不能早于结对日期"),
    ]:
        db.session.add(visit)
        with pytest.raises(ValidationError) as caught:
            db.session.flush()
        db.session.rollback()
        assert message in str(caught.value)
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 2


def test_changes_are_audited(city, db):
    tables = set(db.session.scalars(select(AuditEntry.table_name)))
    assert {"direct_zone", "direct_zone_building", "direct_zone_member", "direct_card", "direct_pairing",
            "direct_visit", "direct_rating"} <= tables
