"""Personal data by construction (issue 16): each way a staffer without the right once recovered a
full 身份证 or phone, closed; and a staffer with the right still sees everything."""
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import Column, String, select

from core import privacy
from core.models import AuditEntry, Member, OutboxMessage, WorkUnit
from core.testing import csrf_token
from factories import member, org_tree
from plugins.assist.models import MobileRecord
from plugins.joint.models import JointAgreement, JointProfile

BORN = dt.date(1960, 5, 17)
PHONE = "13987654321"
CONTACT_PHONE = "13612345678"


@pytest.fixture
def world(db):
    tree = org_tree()
    person = member(tree, name="李四", phone=PHONE, address="金川区桂林路街道和平小区", birth_date=BORN)
    unit = WorkUnit(name="金川集团", kind="state_owned")
    profile = JointProfile(member=person, former_unit=unit, unit_contact="原单位联系人",
                           unit_contact_phone=CONTACT_PHONE, health="good")
    agreement = JointAgreement(org=tree["community"], work_unit=unit, signed_on=dt.date(2025, 1, 1),
                               review_on=dt.date(2027, 1, 1), unit_contact="协议联系人",
                               unit_contact_phone=CONTACT_PHONE)
    record = MobileRecord(member=person, direction="out", other_org_name="流入地党组织", place="兰州市",
                          since=dt.date(2025, 3, 1), other_phone=CONTACT_PHONE)
    db.session.add_all([person, unit, profile, agreement, record])
    db.session.commit()
    return {**tree, "member": person, "profile": profile, "agreement": agreement, "record": record}


@pytest.fixture
def masked(world, staff_client):
    return staff_client("community", world["community"], sensitive=False)


@pytest.fixture
def full(world, staff_client):
    return staff_client("community", world["community"], sensitive=True)


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def xlsx_text(response):
    book = load_workbook(io.BytesIO(response.get_data()))
    return " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row)


def birth_parts(day):
    return (day.isoformat(), f"{day:%Y%m%d}", f"{day.month}月{day.day}日")


def test_a_prefix_of_a_hidden_number_finds_nothing(world, masked, full):
    """Adding one digit at a time to a search once recovered a masked phone in about fifty requests."""
    person = world["member"]
    for prefix in (PHONE[:3], PHONE[:7], PHONE[:10], person.id_number[:6], person.id_number[:14],
                   person.id_number[:17]):
        assert "李四" not in text(masked.get(f"/admin/member/?search={prefix}")), prefix
    for shown_or_whole in (PHONE[-4:], PHONE, person.id_number[-4:], person.id_number):
        assert "李四" in text(masked.get(f"/admin/member/?search={shown_or_whole}")), shown_or_whole
    for prefix in (PHONE[:7], person.id_number[:10]):
        assert "李四" in text(full.get(f"/admin/member/?search={prefix}")), prefix


def test_the_audit_log_keeps_fingerprints_not_numbers(world, db, app):
    person = world["member"]
    number = person.id_number
    person.phone = "13700001111"
    db.session.commit()
    db.session.delete(world["profile"])
    db.session.delete(world["record"])
    db.session.delete(person)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "member")).all()
    assert {e.action for e in entries} >= {"insert", "update", "delete"}
    logged = json.dumps([[e.before, e.after] for e in entries], ensure_ascii=False)
    for value in (number, PHONE, "13700001111", BORN.isoformat(), "和平小区"):
        assert value not in logged, value
    update = next(e for e in entries if e.action == "update")
    assert update.before["phone"].startswith("指纹:") and update.before["phone"] != update.after["phone"]
    insert = next(e for e in entries if e.action == "insert")
    delete = next(e for e in entries if e.action == "delete")
    assert insert.after["id_number"] == delete.before["id_number"] == privacy.fingerprint(number)
    plugin_rows = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "joint_profile")).all()
    assert plugin_rows and CONTACT_PHONE not in json.dumps([[e.before, e.after] for e in plugin_rows])


def test_reminder_bodies_are_masked_on_the_outbox_screen_but_sent_whole(world, db, masked, full):
    person = world["member"]
    message = OutboxMessage(rule_code="joint.birthday_visit", dedup_key="b1", channel="email",
                            recipient="c1@example.org", subject="生日走访", org_id=world["community"].id,
                            body=f"李四 80 岁生日，电话 {PHONE}，身份证 {person.id_number}。")
    db.session.add(message)
    db.session.commit()
    shown = text(masked.get(f"/admin/outbox/details/?id={message.id}"))
    assert PHONE not in shown and person.id_number not in shown and PHONE[-4:] in shown
    assert PHONE in text(full.get(f"/admin/outbox/details/?id={message.id}"))
    db.session.expire_all()
    assert PHONE in db.session.get(OutboxMessage, message.id).body  # the recipient's mail is whole


@pytest.mark.parametrize("endpoint,key", [("joint_profile", "profile"), ("joint_agreement", "agreement"),
                                          ("assist_record", "record")])
def test_plugin_edit_forms_show_the_phone_masked(world, masked, full, endpoint, key):
    url = f"/admin/{endpoint}/edit/?id={world[key].id}"
    page = text(masked.get(url))
    assert CONTACT_PHONE not in page and privacy.mask(CONTACT_PHONE, "phone") in page
    assert CONTACT_PHONE in text(full.get(url))


def test_the_assist_ledger_xlsx_masks_phones_and_the_birth_date(world, masked, full):
    url = f"/admin/assist_ledger/{world['community'].id}/xlsx"
    cells = xlsx_text(masked.get(url))
    assert "李四" in cells
    for value in (PHONE, CONTACT_PHONE, *birth_parts(BORN)):
        assert value not in cells, value
    cells = xlsx_text(full.get(url))
    assert PHONE in cells and CONTACT_PHONE in cells and BORN.isoformat() in cells


def test_the_birth_date_is_shown_as_an_age_and_the_id_mask_hides_it(world, masked):
    person = world["member"]
    age = f"{privacy.age(BORN)}岁"
    pages = {"list": text(masked.get("/admin/member/")),
             "details": text(masked.get(f"/admin/member/details/?id={person.id}")),
             "edit": text(masked.get(f"/admin/member/edit/?id={person.id}")),
             "csv": masked.get("/admin/member/export/csv/").get_data().decode("utf-8-sig"),
             "xlsx": xlsx_text(masked.get("/admin/member/export/xlsx/"))}
    for where, page in pages.items():
        assert age in page, where
        for value in (person.id_number, person.id_number[6:14], PHONE, *birth_parts(BORN)):
            assert value not in page, (where, value)
    assert "*" * 14 + person.id_number[-4:] in pages["list"]


def test_saving_the_edit_form_leaves_masked_values_unchanged(world, masked, db):
    person = world["member"]
    number, member_id = person.id_number, person.id
    url = f"/admin/member/edit/?id={member_id}"
    form = {"csrf_token": csrf_token(masked, url), "name": "李四", "gender": "female", "ethnicity": "回族",
            "id_number": "620302199001010000", "phone": "13000000000", "birth_date": "1990-01-01",
            "address": "别处", "joined_on": "1985-07-01", "confirmed_on": "1986-07-01", "status": "full",
            "probation_extension_months": "0", "category": "retired", "state": "active",
            "affiliation": world["branch"].id, "location": world["community"].id,
            "liaison_group": world["group"].id}
    response = masked.post(url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Member, member_id)
    assert saved.ethnicity == "回族"  # the form was saved ...
    assert (saved.id_number, saved.phone, saved.birth_date, saved.address) == \
        (number, PHONE, BORN, "金川区桂林路街道和平小区")  # ... without what the staffer could not read


def test_with_the_right_everything_is_shown_and_editable(world, full, db):
    person = world["member"]
    for url in ("/admin/member/", f"/admin/member/details/?id={person.id}", f"/admin/member/edit/?id={person.id}"):
        page = text(full.get(url))
        assert person.id_number in page and PHONE in page, url
    assert BORN.isoformat() in full.get("/admin/member/export/csv/").get_data().decode("utf-8-sig")
    url = f"/admin/member/edit/?id={person.id}"
    form = {"csrf_token": csrf_token(full, url), "name": "李四", "gender": "female", "ethnicity": "汉族",
            "id_number": person.id_number, "phone": "13000000000", "birth_date": BORN.isoformat(),
            "joined_on": "1985-07-01", "confirmed_on": "1986-07-01", "status": "full",
            "probation_extension_months": "0", "category": "retired", "state": "active",
            "affiliation": world["branch"].id, "location": world["community"].id}
    assert full.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, person.id).phone == "13000000000"


def test_member_panels_get_the_member_as_the_staffer_may_see_it(world, app):
    """A panel template that prints `member.phone` prints the mask; `reveal` is there for other values."""
    person = world["member"]
    with app.test_request_context():
        shown = privacy.Shown(person)
        assert shown.phone == privacy.mask(PHONE, "phone") and shown.name == "李四"
        assert shown.location.name == world["community"].name
        rendered = app.jinja_env.from_string('{{ m.id_number }} {{ p|reveal("phone") }}').render(m=shown, p=PHONE)
        assert person.id_number not in rendered and PHONE not in rendered


def test_a_personal_column_that_declares_nothing_is_masked():
    assert privacy.kind_of(Column("home_phone", String)) == "phone"
    assert privacy.kind_of(Column("spouse_id_number", String)) == "id_number"
    assert privacy.kind_of(Column("office_phone", String, info=privacy.sensitive(None))) is None
    assert privacy.kind_of(Column("nickname", String)) is None
    with pytest.raises(ValueError):
        privacy.sensitive("telephone")


@pytest.mark.parametrize("oracle", [{"column_searchable_list": ["phone"]}, {"column_filters": ["id_number"]},
                                    {"column_editable_list": ["phone"]}])
def test_a_screen_cannot_search_filter_or_inline_edit_a_personal_column(app, oracle):
    from core.admin.scoped import ScopedModelView
    screen = type("LeakyView", (ScopedModelView,), {"scope_org_column": "affiliation_id", **oracle})
    with app.test_request_context(), pytest.raises(TypeError, match="personal column"):
        screen(Member, endpoint=f"leaky_{next(iter(oracle))}")


def test_no_screen_sorts_by_a_personal_column(app):
    from core.admin.scoped import ScopedModelView
    screen = type("SortingView", (ScopedModelView,), {"column_list": ["name", "birth_date", "phone", "joined_on"]})
    with app.test_request_context():
        sortable = screen(Member, endpoint="member_sort_probe").get_sortable_columns()
    assert {"name", "joined_on"} <= set(sortable) and not {"birth_date", "phone"} & set(sortable)


def test_free_text_hides_quoted_addresses_and_full_dates():
    """A birthday beside an age gives the birth date; an address after its label, the home."""
    shown = privacy.mask("张三同志将于2026-12-05迎来80岁生日，电话13912345678\n住址：幸福路12号3栋2单元401", "text")
    assert "2026-12-05" not in shown and "12345678" not in shown and "3栋2单元401" not in shown
    assert "80岁生日" in shown and "住址：" in shown


def test_the_audit_history_of_an_upgraded_city_is_fingerprinted_once(db):
    """Entries from before fingerprints (core_0010 runs this on upgrade): personal values go, the rest stays."""
    from sqlalchemy import insert
    from core import audit
    from core.models.base import utcnow
    old = {"name": "张三", "phone": "13912345678", "id_number": "620302198001010011", "address": None}
    db.session.execute(insert(AuditEntry.__table__), [
        {"at": utcnow(), "actor": "admin", "table_name": "member", "record_id": "1", "action": "update",
         "before": old, "after": {"phone": "13800001111"}},
        {"at": utcnow(), "actor": "admin", "table_name": "organization", "record_id": "2", "action": "update",
         "before": {"name": "旧名"}, "after": {"name": "新名"}}])
    assert audit.fingerprint_history(db.session.connection(), db.metadata) == 1
    assert audit.fingerprint_history(db.session.connection(), db.metadata) == 0
    member_entry, org_entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert member_entry.before == {"name": "张三", "phone": privacy.fingerprint("13912345678"),
                                   "id_number": privacy.fingerprint("620302198001010011"), "address": None}
    assert member_entry.after == {"phone": privacy.fingerprint("13800001111")}
    assert (org_entry.before, org_entry.after) == ({"name": "旧名"}, {"name": "新名"})
