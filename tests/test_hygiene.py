"""Request hygiene: formulas never leave as formulas, bad ids and periods are the request's fault,
database errors are told in Chinese without their SQL, size limits, security headers, uploads deleted."""
import ast
import io
import os
from pathlib import Path
import time

from openpyxl import load_workbook
import pytest
from sqlalchemy import select

from core import bulletins, roster
from core.models import WorkUnit
from core.testing import csrf_token
from factories import org_tree
from plugins.assist import ledger

ROOT = Path(__file__).parent.parent
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def cells(body):
    book = load_workbook(io.BytesIO(body))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def assert_no_formula(body):
    found = cells(body)
    assert found and not [c.coordinate for c in found if c.data_type == "f"]
    texts = {str(c.value) for c in found}
    for formula in FORMULAS:
        assert "'" + formula.replace("\r", "\n") in texts, formula  # XML reads a carriage return as a newline


def test_the_bulletin_xlsx_escapes_formulas(app, db):
    section = {"title": FORMULAS[0], "summary": FORMULAS[1], "columns": ["名称", "说明"],
               "comparison": [{"name": FORMULAS[2], "value": 3, "change_text": FORMULAS[3]}],
               "rows": [[FORMULAS[4], FORMULAS[5]]]}
    assert_no_formula(bulletins.render_xlsx("2026年10月通报", [section]))


def test_the_ledger_xlsx_escapes_formulas(app, db, monkeypatch):
    monkeypatch.setattr(ledger, "filled", lambda data: [
        ("card", "流动党员登记卡", [], [["姓名", FORMULAS[0]], ["电话", FORMULAS[1]]]),
        ("book", "流动党员联系簿", ["日期", "情况"], [[FORMULAS[2], FORMULAS[3]], [FORMULAS[4], FORMULAS[5]]])])
    assert_no_formula(ledger.render_xlsx("社区二卡三簿", {}))


def test_only_core_spreadsheet_creates_workbooks_and_csv_writers():
    """So every file the system writes goes through its escaping."""
    writers = {"Workbook", "writer", "DictWriter"}
    offenders = []
    for folder in ("core", "plugins", "workers", "examples"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "spreadsheet.py" and path.parent.name == "core" or "tests" in path.parts \
                    or path.name == "testing.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module in ("openpyxl", "csv") \
                        and writers & {a.name for a in node.names}:
                    offenders.append(str(path.relative_to(ROOT)))
                if isinstance(node, ast.Attribute) and node.attr in writers and \
                        isinstance(node.value, ast.Name) and node.value.id in ("csv", "openpyxl"):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.fixture
def tree(db):
    return org_tree()


@pytest.mark.parametrize("url", [
    "/admin/member/details/?id=99999999999999999999999",
    "/admin/member/edit/?id=99999999999999999999999",
    "/admin/member/details/?id=-99999999999999999999999",
    "/admin/organization/details/?id=2147483648",
    "/admin/bulletin/download/99999999999999999999999/pdf",
    "/admin/roster_import/job/99999999999999999999999",
])
def test_an_oversized_id_is_not_found(tree, staff_client, url):
    response = staff_client("community", tree["community"]).get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("period, words", [("0000", "年份应在"), ("2026-13", "期间格式"), ("99999", "期间格式")])
def test_a_bad_period_is_a_400_in_chinese(tree, staff_client, period, words):
    client = staff_client("community", tree["community"])
    response = client.post("/admin/bulletin/compile/",
                           data={"period": period, "csrf_token": csrf_token(client, "/admin/bulletin/compile/")})
    assert response.status_code == 400 and words in response.get_data(as_text=True)


def test_a_database_error_is_one_chinese_sentence_without_sql(tree, staff_client, db, caplog, monkeypatch):
    """The form's own checks pass; the database then refuses (as when another staffer saved the same
    name a moment before): the driver's error carries the SQL and the values."""
    from sqlalchemy import event, insert
    from sqlalchemy.orm import Session
    db.session.add(WorkUnit(name="金昌市第一中学", kind="institution"))
    db.session.commit()

    def race(session, flush_context, instances):
        if any(isinstance(obj, WorkUnit) for obj in session.new):
            session.connection().execute(insert(WorkUnit.__table__).values(name="金昌市第一中学", kind="private"))
    event.listen(Session, "before_flush", race)
    try:
        client = staff_client("street", tree["street"])
        token = csrf_token(client, "/admin/work_unit/new/")
        response = client.post("/admin/work_unit/new/", data={"name": "金昌市第二中学", "kind": "institution",
                                                               "csrf_token": token}, follow_redirects=True)
    finally:
        event.remove(Session, "before_flush", race)
    page = response.get_data(as_text=True)
    assert "保存失败：与已有记录冲突" in page
    for words in ("INSERT", "UNIQUE", "constraint", "work_unit.name", "IntegrityError", "[SQL"):
        assert words not in page, words
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "core.errorpages")
    assert "IntegrityError" in logged and "INSERT INTO work_unit" in logged and "金昌市第一中学" not in logged
    assert db.session.scalars(select(WorkUnit.name)).all() == ["金昌市第一中学"]


def test_an_unknown_page_and_a_forbidden_one_are_in_chinese(tree, staff_client):
    client = staff_client("readonly", tree["community"])
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)
    forbidden = client.get("/admin/roster_import/")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.get_data(as_text=True)


def test_a_request_over_the_limit_is_a_413_in_chinese(app, tree, staff_client, monkeypatch):
    client = staff_client("community", tree["community"])
    token = csrf_token(client, "/admin/roster_import/")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    response = client.post("/admin/roster_import/", data={"csrf_token": token,
                                                          "file": (io.BytesIO(b"x" * (1024 * 1024 + 1)), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "超过了 1 MB 的上限" in response.get_data(as_text=True)


def test_every_page_carries_the_security_headers(tree, staff_client, app):
    client = staff_client("community", tree["community"])
    for url in ("/login", "/admin/", "/admin/member/", "/admin/member/new/", "/no/such/page"):
        headers = client.get(url).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self' 'nonce-" in policy, url
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], url
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin" and "Strict-Transport-Security" not in headers


def test_inline_scripts_carry_the_pages_nonce(tree, staff_client):
    client = staff_client("community", tree["community"])
    response = client.get("/admin/member/new/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    page = response.get_data(as_text=True)
    inline = [part for part in page.split("<script")[1:] if "src=" not in part.split(">")[0]]
    assert all(f'nonce="{nonce}"' in part.split(">")[0] for part in inline)


def test_hsts_only_when_served_over_https(tree, staff_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_HTTPS", True)
    response = staff_client("community", tree["community"]).get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=") and response.status_code == 200


ROSTER_CSV = ("姓名,身份证号,性别,入党时间,转正日期,类别,所属党组织,所在社区,联络小组\n"
              "王建国,{number},男,2016-02-26,2017-02-26,离退休党员,和平社区第一党支部,C1,1-2号楼党员联络小组\n")


def test_an_upload_is_deleted_once_committed(tree, staff_client, app):
    from core import idcard
    import datetime as dt
    import re
    client = staff_client("community", tree["community"])
    token = csrf_token(client, "/admin/roster_import/")
    data = ROSTER_CSV.format(number=idcard.make_number("620302", dt.date(1962, 4, 9), 1, "male")).encode("utf-8")
    page = client.post("/admin/roster_import/", data={"csrf_token": token, "file": (io.BytesIO(data), "名册.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    upload = re.search(r"/admin/roster_import/commit/(\w+)", page).group(1)
    with app.test_request_context():
        stored = roster.upload_folder() / f"{client.staff.id}-{upload}"
    assert stored.exists() and stored.with_suffix(".json").exists()
    assert client.post(f"/admin/roster_import/commit/{upload}", data={"csrf_token": token}).status_code == 302
    assert not stored.exists() and not stored.with_suffix(".json").exists()


def test_abandoned_uploads_are_deleted_after_the_retention_period(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_UPLOAD_RETENTION_HOURS", 2)
    folder = roster.upload_folder()
    old, fresh = folder / "1-abandoned", folder / "1-fresh"
    for path in (old, fresh, old.with_suffix(".json")):
        path.write_bytes(b"roster")
    three_hours_ago = time.time() - 3 * 3600
    os.utime(old, (three_hours_ago, three_hours_ago))
    os.utime(old.with_suffix(".json"), (three_hours_ago, three_hours_ago))
    assert roster.purge_uploads() == 2
    assert not old.exists() and not old.with_suffix(".json").exists() and fresh.exists()
    fresh.unlink()


def test_the_beat_purges_uploads(app):
    from workers import schedule
    with app.app_context():
        assert schedule.build()["purge-uploads"]["task"] == "wuguan.purge_uploads"


@pytest.mark.parametrize("url", [
    "/admin/joint_matching/?task=mediation&org=99999999999999999999999&max_age=99999999999999999999",
    "/admin/takeover_record/new/?member_id=99999999999999999999999",
])
def test_oversized_numbers_in_a_query_are_ignored(tree, staff_client, url):
    assert staff_client("community", tree["community"]).get(url).status_code == 200
