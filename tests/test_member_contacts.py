"""Members' own contact channels: validated, imported, masked, resolved in SQL for reminders, and the SMS
channel (files without configuration; Alibaba Cloud's SendSms, here against a local fake of its API)."""
import base64
import datetime as dt
import hashlib
import hmac
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import io
import json
import threading
import urllib.parse

from openpyxl import Workbook
import pytest
from sqlalchemy import select

from core import channels, idcard, privacy, reminders, roster, sms
from core.errors import ValidationError
from core.models import Member, OutboxMessage, Staff
from core.plugin_api import member_address
from core.testing import csrf_token
from factories import member, org_tree

MONDAY_9AM = dt.datetime(2026, 11, 2, 1, 0)
SECRET = "fake-secret"


@pytest.fixture
def tree(db):
    return org_tree()


def staffer(db, username, org, active=True):
    staff = Staff(username=username, display_name=username, role="community", org=org, active=active)
    staff.set_password("x" * 12)
    db.session.add(staff)
    return staff


# -- the member's columns ----------------------------------------------------------------------------
def test_addresses_are_normalized_and_bad_ones_refused_with_the_field_named(db, tree):
    person = member(tree, mobile="+86 138-0000-1111", email="Zhang.San@Example.ORG", preferred_channel="sms")
    db.session.add(person)
    db.session.commit()
    assert (person.mobile, person.email) == ("13800001111", "Zhang.San@example.org")
    for fields, field in ((dict(mobile="12345678901"), "mobile"), (dict(mobile="1380000111"), "mobile"),
                          (dict(email="zhang@"), "email"), (dict(preferred_channel="sms"), "preferred_channel"),
                          (dict(email="a@example.org", preferred_channel="wechat"), "preferred_channel")):
        with pytest.raises(ValidationError) as caught:
            member(tree, **fields).validate()
        assert list(caught.value.errors) == [field], fields


def test_the_contact_columns_are_declared_sensitive_for_the_masking_layer():
    columns = Member.__table__.c
    assert columns.mobile.info == {"sensitive": "phone"} and columns.email.info == {"sensitive": "email"}


def _xlsx(rows, headers):
    book = Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_roster_imports_mobile_and_email_when_present(db, tree):
    importer = staffer(db, "imp", tree["community"])
    db.session.commit()
    headers = ("姓名", "身份证号", "入党时间", "转正日期", "类别", "所属党组织", "所在社区", "手机", "电子邮箱")
    born = dt.date(1962, 4, 9)

    def row(seq, mobile, email):
        return ["王建国", idcard.make_number("620302", born, seq, "male"), "2016-02-26", "2017-02-26", "离退休党员",
                "和平社区第一党支部", "C1", mobile, email]

    bad = roster.validate(_xlsx([row(1, "1234", "wang@example.org")], headers), "名册.xlsx", importer)
    assert [(e.column, e.value) for e in bad.errors] == [("手机", "1234")]
    report = roster.commit(_xlsx([row(1, 13800001111, "wang@example.org"), row(2, None, None)], headers),
                           "名册.xlsx", importer)
    assert report.committed and report.counts()["created"] == 2
    found = db.session.execute(select(Member.mobile, Member.email).order_by(Member.id)).all()
    assert [tuple(r) for r in found] == [("13800001111", "wang@example.org"), (None, None)]


def test_addresses_are_masked_without_the_right_and_sealed_in_the_edit_form(db, tree, staff_client):
    person = member(tree, mobile="13800001111", email="zhangsan@example.org")
    db.session.add(person)
    db.session.commit()
    plain = staff_client("community", tree["community"], sensitive=False)
    details = plain.get(f"/admin/member/details/?id={person.id}").get_data(as_text=True)
    export = plain.get("/admin/member/export/csv/").get_data().decode("utf-8-sig")
    for text in (details, export):
        assert "13800001111" not in text and "zhangsan@example.org" not in text
        assert "138****1111" in text and "z***@example.org" in text
    form = plain.get(f"/admin/member/edit/?id={person.id}").get_data(as_text=True)
    assert "13800001111" not in form and "zhangsan@example.org" not in form and 'name="preferred_channel"' in form
    assert 'readonly type="text" value="138****1111"' in form
    full = staff_client("community", tree["community"], sensitive=True)
    details = full.get(f"/admin/member/details/?id={person.id}").get_data(as_text=True)
    assert "13800001111" in details and "zhangsan@example.org" in details


def test_the_member_form_saves_the_addresses_and_refuses_a_bad_mobile(db, tree, staff_client):
    person = member(tree)
    db.session.add(person)
    db.session.commit()
    editor = staff_client("community", tree["community"], sensitive=True)
    url = f"/admin/member/edit/?id={person.id}"
    form = {"csrf_token": csrf_token(editor, url), "name": person.name, "id_number": person.id_number,
            "gender": person.gender, "birth_date": person.birth_date.isoformat(), "ethnicity": "汉族",
            "joined_on": person.joined_on.isoformat(), "confirmed_on": person.confirmed_on.isoformat(),
            "status": "full", "probation_extension_months": "0", "category": person.category, "state": "active",
            "affiliation": tree["branch"].id, "location": tree["community"].id, "liaison_group": tree["group"].id,
            "mobile": "1380000", "email": "li@example.org", "preferred_channel": "sms"}
    page = editor.post(url, data=form).get_data(as_text=True)
    assert "不是有效的手机号码" in page
    db.session.expire_all()
    assert db.session.get(Member, person.id).email is None
    editor.post(url, data={**form, "mobile": "+86 139 0000 2222"})
    db.session.expire_all()
    saved = db.session.get(Member, person.id)
    assert (saved.mobile, saved.email, saved.preferred_channel) == ("13900002222", "li@example.org", "sms")


# -- routing -----------------------------------------------------------------------------------------
def test_member_address_resolves_channel_and_address_in_one_statement(db, tree):
    people = {
        "sms": member(tree, name="甲", mobile="13800001111", email="a@example.org", preferred_channel="sms"),
        "email": member(tree, name="乙", mobile="13800002222", email="b@example.org"),
        "mobile_only": member(tree, name="丙", mobile="13800003333"),
        "prefers_email": member(tree, name="丁", mobile="13800004444", email="d@example.org",
                                preferred_channel="email"),
        "nothing": member(tree, name="戊"),
        "nothing_elsewhere": member(tree, name="己", location=None),
    }
    db.session.add_all(people.values())
    staffer(db, "heping1", tree["community"])
    staffer(db, "heping2", tree["community"])
    staffer(db, "gone", tree["community"], active=False)
    employer_like = staffer(db, "branch1", tree["branch"])
    db.session.commit()
    to = member_address()
    rows = db.session.execute(to.join(select(Member.name, to.channel.label("channel"),
                                             to.recipient.label("recipient"), to.dedup_suffix.label("suffix"))
                                      .select_from(Member)).where(to.reachable)).all()
    assert sorted(tuple(r) for r in rows) == sorted([
        ("甲", "sms", "13800001111", ""), ("乙", "email", "b@example.org", ""), ("丙", "sms", "13800003333", ""),
        ("丁", "email", "d@example.org", ""), ("戊", "inbox", "heping1", ":heping1"),
        ("戊", "inbox", "heping2", ":heping2")])
    assert employer_like.username not in {r.recipient for r in rows}


# -- the SMS channel -----------------------------------------------------------------------------------
def _message(body, recipient="13800001111", outbox_id=7):
    return channels.Message(outbox_id=outbox_id, message_id="<m>", channel="sms", recipient=recipient,
                            subject="思想汇报提醒", body=body)


def test_without_a_provider_texts_are_files_in_the_instance_folder_with_id_numbers_masked(app, db):
    number = idcard.make_number("620302", dt.date(1980, 1, 1), 5, "male")
    sms.send_sms(_message(f"张三同志（{number}）：\n请于年底前\n作思想汇报。"))
    text = sms.read_sms(7)
    assert text.startswith("To: 13800001111\n") and number not in text and privacy.mask(number, "id_number") in text
    assert "思想汇报提醒：张三同志" in text and "请于年底前 作思想汇报。" in text
    assert sms.read_sms(8) is None


def test_the_aliyun_signature_matches_the_documented_example():
    # Alibaba Cloud's RPC signature example (DescribeRegions, AccessKey testid/testsecret).
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
              "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    assert sms.aliyun_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


class FakeAliyun(BaseHTTPRequestHandler):
    """Checks each SendSms request as the provider would and answers as it does."""
    requests = []

    def do_POST(self):
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        self.requests.append(form)
        signature = form.pop("Signature")

        def encode(value):  # the provider's documented sample: quote_plus, then %20, %2A and ~
            return urllib.parse.quote_plus(value).replace("+", "%20").replace("*", "%2A").replace("%7E", "~")
        query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(form.items()))
        expected = base64.b64encode(hmac.new(f"{SECRET}&".encode(), f"POST&%2F&{encode(query)}".encode(),
                                             hashlib.sha1).digest()).decode()
        if signature != expected:
            self._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
        elif form["PhoneNumbers"] == "13999999999":
            self._answer(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
        else:
            self._answer(200, {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "F655"})

    def _answer(self, status, payload):
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def aliyun(app, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAliyun)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeAliyun.requests = []
    for key, value in {"WUGUAN_SMS_PROVIDER": "aliyun", "WUGUAN_SMS_ACCESS_KEY_ID": "fake-id",
                       "WUGUAN_SMS_ACCESS_KEY_SECRET": SECRET, "WUGUAN_SMS_SIGN_NAME": "金昌五管",
                       "WUGUAN_SMS_TEMPLATE_CODE": "SMS_123456789",
                       "WUGUAN_SMS_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}/"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield FakeAliyun.requests
    server.shutdown()
    server.server_close()


def test_a_reminder_to_a_member_preferring_sms_is_sent_through_the_provider(app, db, tree, aliyun):
    from plugins.takeover.models import TakeoverRecord
    person = member(tree, name="未汇报", category="demobilized", mobile="13800001111", email="w@example.org",
                    preferred_channel="sms")
    db.session.add(person)
    db.session.flush()
    db.session.add(TakeoverRecord(member=person, reason="demobilized", arrived_on=dt.date(2026, 1, 1),
                                  taken_over_on=dt.date(2026, 1, 5), branch=tree["branch"]))
    db.session.commit()
    (outbox_id,) = reminders.decide("takeover.thought_report_due", now=MONDAY_9AM)
    assert reminders.deliver(outbox_id, now=MONDAY_9AM).state == "sent"
    (request,) = aliyun
    assert (request["Action"], request["Version"], request["PhoneNumbers"]) == ("SendSms", "2017-05-25",
                                                                                "13800001111")
    assert (request["SignName"], request["TemplateCode"], request["OutId"]) == ("金昌五管", "SMS_123456789",
                                                                              str(outbox_id))
    content = json.loads(request["TemplateParam"])["content"]
    assert content.startswith("请在年底前向和平社区第一党支部作2026年度思想汇报：未汇报同志：")
    assert dt.datetime.strptime(request["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert sms.read_sms(outbox_id) is None  # the provider took it; nothing written locally


def test_provider_errors_raise_with_their_code_and_the_outbox_retries(app, db, aliyun, monkeypatch):
    with pytest.raises(sms.SmsError) as refused:
        sms.send_sms(_message("请作思想汇报", recipient="13999999999"))
    assert refused.value.code == "isv.MOBILE_NUMBER_ILLEGAL"
    monkeypatch.setitem(app.config, "WUGUAN_SMS_ACCESS_KEY_SECRET", "a-wrong-secret")
    with pytest.raises(sms.SmsError) as unsigned:
        sms.send_sms(_message("请作思想汇报"))
    assert unsigned.value.code == "SignatureDoesNotMatch"
    nonces = {r["SignatureNonce"] for r in aliyun}
    assert len(nonces) == len(aliyun) == 2
    (outbox_id,) = reminders.enqueue_rows([{
        "rule_code": "test.sms", "dedup_key": "k", "channel": "sms", "recipient": "13999999999", "subject": "提醒",
        "body": "请作思想汇报", "org_id": None, "state": "pending", "attempts": 0, "created_at": MONDAY_9AM,
        "not_before": MONDAY_9AM, "history": []}])
    db.session.commit()
    outcome = reminders.deliver(outbox_id, now=MONDAY_9AM)
    assert outcome.state == "retry" and "SignatureDoesNotMatch" in outcome.error
    assert "SignatureDoesNotMatch" in db.session.scalar(select(OutboxMessage.last_error)
                                                        .where(OutboxMessage.id == outbox_id))


def test_the_outbox_screen_masks_members_addresses_without_the_right(db, tree, staff_client):
    rows = [("sms", "13800001111"), ("email", "zhangsan@example.org"), ("inbox", "heping1")]
    db.session.add_all(OutboxMessage(rule_code="test.contact", dedup_key=channel, channel=channel, recipient=recipient,
                                     subject=f"{channel}提醒", body="正文", org_id=tree["community"].id,
                                     state="sent", attempts=1, history=[])
                       for channel, recipient in rows)
    db.session.commit()
    plain = staff_client("community", tree["community"], sensitive=False)
    listing = plain.get("/admin/outbox/").get_data(as_text=True)
    assert "13800001111" not in listing and "zhangsan@example.org" not in listing
    assert "138****1111" in listing and "z***@example.org" in listing and "heping1" in listing
    full = staff_client("community", tree["community"], sensitive=True)
    listing = full.get("/admin/outbox/").get_data(as_text=True)
    assert "13800001111" in listing and "zhangsan@example.org" in listing
