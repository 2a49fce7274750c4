"""协管 screens: scoping of every screen, bad input refused in Chinese, the temporary branch, feedback, the panel."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import idcard
from core.models import AuditEntry, Member, Organization, OutboxMessage, Transfer
from core.testing import csrf_token
from plugins.assist.models import Card, Contact, MobileRecord, Station, TempRelation

BIRTH = dt.date(1985, 5, 17)


@pytest.fixture
def city(db):
    """Communities A and B, each with a mobile station, one outflow member with every kind of record."""
    street = Organization(kind="street", name="滨河路街道党工委", code="S")
    db.session.add(street)
    db.session.flush()
    world = {"street": street}
    for key, seq in (("A", 1), ("B", 101)):
        community = Organization(kind="community", name=f"社区{key}", code=key, parent=street,
                                 email=f"{key.lower()}@example.org")
        branch = Organization(kind="branch", name=f"社区{key}第一党支部", code=f"{key}B", parent=community)
        station_org = Organization(kind="mobile_station", name=f"社区{key}流动党员管理站", code=f"{key}M",
                                   parent=community)
        person = Member(name=f"{key}流动党员", gender="female", birth_date=BIRTH,
                        id_number=idcard.make_number("620302", BIRTH, seq, "female"), phone=f"1390000{seq:04d}",
                        joined_on=dt.date(2010, 7, 1), confirmed_on=dt.date(2011, 7, 1), status="full",
                        category="mobile_out", affiliation=branch, location=community)
        record = MobileRecord(member=person, direction="out", other_org_name=f"{key}地流入党组织", place=f"{key}市",
                              since=dt.date(2025, 3, 1), other_phone="13812345678",
                              other_email=f"inflow-{key.lower()}@example.org")
        station = Station(name=f"{key}集出集管站", place=f"{key}工地", org=station_org)
        db.session.add_all([community, branch, station_org, person, record, station])
        db.session.flush()
        contact = Contact(record=record, contacted_on=dt.date(2026, 10, 1), party="member", method="phone",
                          summary=f"{key}联系情况")
        card = Card(number=f"{key}-证-001", member=person, issuing_org=community, issued_on=dt.date(2026, 1, 1),
                    valid_until=dt.date(2026, 12, 31))
        relation = TempRelation(member=person, record=record, branch_name=f"{key}地临时支部",
                                started_on=dt.date(2025, 9, 1))
        db.session.add_all([contact, card, relation])
        world[key] = {"community": community, "branch": branch, "member": person, "record": record,
                      "station": station, "contact": contact, "card": card, "relation": relation,
                      "station_org": station_org}
    db.session.commit()
    return world


VIEWS = [("assist_record", "record", "A市", "B市"), ("assist_contact", "contact", "A联系情况", "B联系情况"),
         ("assist_card", "card", "A-证-001", "B-证-001"), ("assist_station", "station", "A集出集管站", "B集出集管站"),
         ("assist_temp_relation", "relation", "A地临时支部", "B地临时支部")]


def body(response):
    return response.get_data(as_text=True)


@pytest.mark.parametrize("view,key,mine,theirs", VIEWS)
def test_each_screen_lists_and_exports_only_the_staffers_rows(city, staff_client, view, key, mine, theirs):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/{view}/"))
    assert mine in page and theirs not in page
    exported = a.get(f"/admin/{view}/export/csv/").get_data().decode("utf-8-sig")
    assert mine in exported and theirs not in exported
    street = staff_client("street", city["street"])
    page = body(street.get(f"/admin/{view}/"))
    assert mine in page and theirs in page


@pytest.mark.parametrize("view,key,mine,theirs", VIEWS)
def test_another_communitys_record_by_id_is_404(city, staff_client, view, key, mine, theirs):
    a = staff_client("community", city["A"]["community"])
    target = city["B"][key]
    token = csrf_token(a, f"/admin/{view}/")
    assert a.get(f"/admin/{view}/details/?id={target.id}").status_code == 404
    assert a.get(f"/admin/{view}/edit/?id={target.id}").status_code == 404
    assert a.post(f"/admin/{view}/delete/", data={"id": target.id, "csrf_token": token}).status_code == 404
    assert a.get(f"/admin/{view}/details/?id={city['A'][key].id}").status_code == 200


def test_phone_numbers_of_the_other_side_are_masked(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    url = f"/admin/assist_record/details/?id={city['A']['record'].id}"
    assert "13812345678" not in body(a.get(url)) and "13812345678" not in body(a.get("/admin/assist_record/export/csv/"))
    sensitive = staff_client("community", city["A"]["community"], sensitive=True)
    assert "13812345678" in body(sensitive.get(url))


def test_bad_input_is_refused_in_chinese_and_nothing_saved(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/assist_card/new/")
    before = db.session.scalar(select(func.count()).select_from(Card))
    card = {"csrf_token": token, "number": "A-证-002", "member": city["A"]["member"].id,
            "issuing_org": city["A"]["community"].id, "issued_on": "2026-05-01", "valid_until": "2026-04-01"}
    assert "有效期须晚于发证日期" in body(a.post("/admin/assist_card/new/", data=card, follow_redirects=True))
    duplicate = {**card, "number": "A-证-001", "valid_until": "2027-04-01"}
    assert "已经存在" in body(a.post("/admin/assist_card/new/", data=duplicate, follow_redirects=True))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Card)) == before
    token = csrf_token(a, "/admin/assist_record/new/")
    response = a.post("/admin/assist_record/new/", data={
        "csrf_token": token, "member": city["A"]["member"].id, "direction": "out", "place": "兰州",
        "since": "2026-01-01", "reason": "work", "state": "active"}, follow_redirects=True)
    assert "须填写对方党组织" in body(response)
    assert db.session.scalar(select(func.count()).select_from(MobileRecord)) == 2


def test_a_temporary_branch_is_created_from_the_station_screen_for_three_or_more(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    station = city["A"]["station"]
    token = csrf_token(a, "/admin/assist_station/")
    data = {"action": "temp_branch", "rowid": [station.id], "csrf_token": token}
    response = a.post("/admin/assist_station/action/", data=data, follow_redirects=True)
    assert "只有0名流动党员，3名以上才能建立临时党支部" in body(response)
    assert db.session.scalar(select(func.count()).select_from(Organization)
                             .where(Organization.kind == "temp_branch")) == 0
    for key, target in (("A", station), ("B", city["B"]["station"])):
        for i in range(3):
            person = Member(name=f"{key}同伴{i}", gender="male", birth_date=BIRTH,
                            id_number=idcard.make_number("620302", BIRTH, 50 + i + (10 if key == "B" else 0), "male"),
                            joined_on=dt.date(2010, 7, 1), confirmed_on=dt.date(2011, 7, 1), category="mobile_out",
                            affiliation=city[key]["branch"], location=city[key]["community"])
            db.session.add(MobileRecord(member=person, direction="out", other_org_name="新疆某党组织", place="新疆",
                                        since=dt.date(2026, 1, 1), station_id=target.id))
    db.session.commit()
    # B's station is not A's to act on, however many members it has
    a.post("/admin/assist_station/action/", data={**data, "rowid": [city["B"]["station"].id]})
    response = a.post("/admin/assist_station/action/", data=data, follow_redirects=True)
    assert "已建立临时党支部" in body(response)
    db.session.expire_all()
    branches = db.session.scalars(select(Organization).where(Organization.kind == "temp_branch")).all()
    assert [b.name for b in branches] == ["A集出集管站临时党支部"]
    assert branches[0].parent_id == city["A"]["station_org"].id
    assert db.session.get(Station, station.id).temp_branch_id == branches[0].id
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.table_name == "organization", AuditEntry.action == "insert")) >= 1
    response = a.post("/admin/assist_station/action/", data=data, follow_redirects=True)
    assert "已有临时党支部" in body(response)


def test_a_temporary_relationship_moves_by_a_core_letter(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/assist_temp_relation/new/")
    response = a.post("/admin/assist_temp_relation/new/", data={
        "csrf_token": token, "member": city["A"]["member"].id, "record": city["A"]["record"].id,
        "branch_name": "兰州市城关区某社区党支部", "started_on": "2026-11-01"})
    assert response.status_code == 302, body(response)[:2000]
    relation = db.session.scalars(select(TempRelation).where(TempRelation.branch_name == "兰州市城关区某社区党支部")).one()
    transfer = db.session.get(Transfer, relation.transfer_id)
    assert transfer.direction == "out" and transfer.to_org_name == "兰州市城关区某社区党支部"
    assert transfer.from_org_id == city["A"]["branch"].id and transfer.issued_on == dt.date(2026, 11, 1)


def test_feedback_to_the_outflow_organization_is_mailed_once_and_logged(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/assist_contact/new/")
    response = a.post("/admin/assist_contact/new/", data={
        "csrf_token": token, "record": city["A"]["record"].id, "contacted_on": "2026-11-20", "party": "inflow_org",
        "method": "email", "summary": "电话了解情况", "feedback": "该同志在当地表现良好，按时交纳党费"})
    assert response.status_code == 302, body(response)[:2000]
    contact = db.session.scalars(select(Contact).where(Contact.summary == "电话了解情况")).one()
    mail = db.session.get(OutboxMessage, contact.feedback_outbox_id)
    assert mail.recipient == "inflow-a@example.org" and "按时交纳党费" in mail.body and mail.rule_code == "assist.feedback"
    assert contact.member_id == city["A"]["member"].id


def test_the_members_page_shows_record_contacts_card_and_relationship(city, staff_client):
    a = staff_client("community", city["A"]["community"])
    page = body(a.get(f"/admin/member/details/?id={city['A']['member'].id}"))
    assert "协管：流动党员" in page and "A地流入党组织" in page and "2026-10-01" in page
    assert "A-证-001" in page and "A地临时支部" in page


def test_ledger_is_scoped_and_its_pdf_and_xlsx_carry_the_two_cards_and_three_books(city, staff_client):
    import io
    from openpyxl import load_workbook
    import pypdf
    a = staff_client("community", city["A"]["community"])
    listing = body(a.get("/admin/assist_ledger/"))
    assert "社区A" in listing and "社区B" not in listing
    assert a.get(f"/admin/assist_ledger/{city['B']['community'].id}/pdf").status_code == 404
    response = a.get(f"/admin/assist_ledger/{city['A']['community'].id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.get_data())).pages)
    flat = "".join(text.split())
    for words in ("社区A流动党员二卡三簿", "流动党员登记卡", "流动党员联系卡", "流动党员登记簿", "流动党员活动记载簿",
                  "流动党员联系簿", "A流动党员", "A-证-001", "A联系情况", "不参加表决和选举"):
        assert words in flat, words
    assert "B流动党员" not in flat
    book = load_workbook(io.BytesIO(a.get(f"/admin/assist_ledger/{city['A']['community'].id}/xlsx").get_data()))
    assert {"流动党员登记簿", "流动党员活动记载簿", "流动党员联系簿"} <= set(book.sheetnames)
    values = [c for row in book["流动党员登记簿"].iter_rows(values_only=True) for c in row]
    assert "A流动党员" in values and "B流动党员" not in values
