"""Roster import: every row checked before anything is written, all or nothing, hostile files refused."""
import csv
import re
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core import idcard, identity, roster
from core.models import AuditEntry, Member, Staff
from core.testing import csrf_token
from factories import member, org_tree

BIRTH = dt.date(1962, 4, 9)


def number(seq, birth=BIRTH, gender="male"):
    return idcard.make_number("620302", birth, seq, gender)


@pytest.fixture
def tree(db):
    return org_tree()


@pytest.fixture
def staff(db, tree):
    person = Staff(username="imp", display_name="导入员", role="community", org=tree["community"])
    person.set_password("0123456789ab")
    db.session.add(person)
    db.session.commit()
    return person


def xlsx(rows, headers=("姓名", "身份证号", "性别", "入党时间", "转正日期", "类别", "所属党组织", "所在社区", "联络小组")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_row(seq, name="王建国", joined="2016-02-26", confirmed="2017/2/26"):
    return [name, number(seq), "男", joined, confirmed, "离退休党员", "和平社区第一党支部", "C1", "1-2号楼党员联络小组"]


def count(db):
    return db.session.scalar(select(func.count()).select_from(Member))


def test_dry_run_counts_and_nothing_written(db, staff):
    report = roster.validate(xlsx([good_row(1), good_row(2, "李秀英")]), "名册.xlsx", staff)
    assert report.ok and report.counts() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "errors": 0}
    assert count(db) == 0


def test_commit_writes_everything_in_one_transaction_and_audits_once(db, staff):
    data = xlsx([good_row(1), good_row(2, "李秀英", joined="2016年2月26日", confirmed=43000)])
    report = roster.commit(data, "名册.xlsx", staff)
    assert report.committed and count(db) == 2
    li = db.session.scalar(select(Member).where(Member.name == "李秀英"))
    assert li.joined_on == dt.date(2016, 2, 26) and li.confirmed_on == dt.date(2017, 9, 22)
    assert (li.category, li.name_initials) == ("retired", "lxy")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry.after["created"] == 2 and entry.after["sha256"] == report.checksum


def test_matched_by_id_number_update_and_unchanged(db, staff):
    roster.commit(xlsx([good_row(1), good_row(2, "李秀英")]), "a.xlsx", staff)
    changed = good_row(2, "李秀英")
    changed[1] = number(2)
    report = roster.validate(xlsx([good_row(1), [*changed[:3], "2016-03-01", *changed[4:]]]), "b.xlsx", staff)
    assert report.counts() == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1, "errors": 0}
    roster.commit(xlsx([good_row(1), [*changed[:3], "2016-03-01", *changed[4:]]]), "b.xlsx", staff)
    assert db.session.scalar(select(Member.joined_on).where(Member.name == "李秀英")) == dt.date(2016, 3, 1)


@pytest.mark.parametrize("cells, column, words", [
    ({1: number(1)[:-1] + ("0" if number(1)[-1] != "0" else "1")}, "身份证号码", "校验位"),
    ({3: "2016-02-30"}, "入党日期", "不存在"),
    ({3: "去年"}, "入党日期", "无法识别的日期"),
    ({4: "2015-01-01"}, "转正日期", "不能早于入党日期"),
    ({2: "女"}, "性别", "不一致"),
    ({5: "学生"}, "类别", "不是可用的类别"),
    ({6: "不存在的支部"}, "所属党组织", "找不到党组织"),
    ({6: "建设社区党委"}, "所属党组织", "找不到党组织"),  # exists, but outside the importer's scope
])
def test_each_rule_reports_row_column_value_and_chinese_message(db, staff, cells, column, words):
    row = good_row(3)
    for index, value in cells.items():
        row[index] = value
    report = roster.commit(xlsx([good_row(1), row]), "bad.xlsx", staff)
    assert not report.committed and count(db) == 0  # one bad row: nothing at all is written
    (error,) = report.errors
    assert (error.row, error.column) == (3, column) and words in error.message, error


def test_duplicates_inside_the_file_and_members_of_other_organizations(db, staff, tree):
    other = member(tree, location=tree["other"], affiliation=tree["other"], liaison_group=None,
                   id_number=number(7, dt.date(1960, 5, 17), "female"))
    db.session.add(other)
    db.session.commit()
    row = good_row(5)
    outsider = good_row(6)
    outsider[1:3] = [other.id_number, "女"]
    outsider[3:5] = ["1985-07-01", "1986-07-01"]
    report = roster.validate(xlsx([row, row, outsider]), "dup.xlsx", staff)
    messages = {(e.row, e.message) for e in report.errors}
    assert (3, "与第 2 行的身份证号码重复") in messages
    assert (4, identity.refusal()) in messages  # names neither the member nor her organization


def test_header_variants_gbk_csv_and_excel_serial_dates(db, staff):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["党员姓名", "公民身份号码", "入党日期", "转正时间", "党员类别", "党支部"])
    writer.writerow(["赵红梅", number(9), "2016/2/26", "20170226", "retired", "C1B1"])
    report = roster.commit(out.getvalue().encode("gbk"), "名册.csv", staff)
    assert report.committed, report.errors
    assert db.session.scalar(select(Member.name)) == "赵红梅"


def test_error_report_marks_the_bad_cells(db, staff):
    row = good_row(3)
    row[3] = "2016-02-30"
    report = roster.validate(xlsx([good_row(1), row]), "bad.xlsx", staff)
    book = load_workbook(io.BytesIO(roster.error_report_xlsx(xlsx([good_row(1), row]), "bad.xlsx", report)))
    data, errors = book["数据"], book["错误"]
    bad = data.cell(row=3, column=4)
    assert bad.value == "2016-02-30" and bad.fill.fgColor.rgb.endswith("FFC7CE") and "不存在" in bad.comment.text
    assert [c.value for c in errors[2]][:2] == [3, "入党日期"]


def test_the_template_has_chinese_headers_and_an_explanation_row(db, staff):
    book = load_workbook(io.BytesIO(roster.template_xlsx()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "身份证号码", "性别") and rows[1][0].startswith("（说明）")
    assert roster.validate(roster.template_xlsx(), "模板.xlsx", staff).counts()["rows"] == 0


@pytest.mark.parametrize("data, name, words", [
    (b"%PDF-1.4 not a spreadsheet\x00\x01", "x.xlsx", "不是有效的 Excel"),
    (b"\x00\x01\x02binary junk", "x.csv", "不是表格"),
    (b"PK\x03\x04 broken zip", "x.xlsx", "不是有效的 Excel"),
    ("名字,号码\n张三,1\n".encode(), "x.csv", "没有找到表头"),
    ("姓名,电话\n张三,1\n".encode(), "x.csv", "缺少必需的列：身份证号码、入党日期、类别"),
])
def test_files_that_are_not_rosters_are_refused_clearly(db, staff, data, name, words):
    with pytest.raises(roster.ImportRefused, match=words):
        roster.validate(data, name, staff)


def test_a_zip_bomb_and_an_oversized_file_are_refused(app, db, staff):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (210 * 1024 * 1024))
    with pytest.raises(roster.ImportRefused, match="压缩炸弹"):
        roster.validate(bomb.getvalue(), "bomb.xlsx", staff)
    app.config["IMPORT_MAX_BYTES"] = 1000
    try:
        with pytest.raises(roster.ImportRefused, match="文件过大"):
            roster.validate(xlsx([good_row(1)]), "big.xlsx", staff)
    finally:
        del app.config["IMPORT_MAX_BYTES"]


def test_a_sheet_of_a_million_empty_rows_stops_early(db, staff):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "身份证号", "入党时间", "转正日期", "类别", "所属党组织"])
    sheet.append(good_row(1)[:2] + ["2016-02-26", "2017-02-26", "离退休党员", "C1B1"])
    for _ in range(5000):
        sheet.append([None] * 6)
    sheet.append(["迟到的人"] + [None] * 5)
    out = io.BytesIO()
    book.save(out)
    report = roster.validate(out.getvalue(), "empty.xlsx", staff)
    assert report.rows == 1 and report.ok


def test_formula_cells_are_read_as_values_never_evaluated(db, staff):
    row = good_row(1)
    row[0] = '=HYPERLINK("http://evil","王")'
    report = roster.validate(xlsx([row]), "f.xlsx", staff)
    assert not report.ok and report.errors[0].column == "姓名"


def test_export_then_import_changes_nothing(app, db, staff, staff_client, tree):
    roster.commit(xlsx([good_row(1), good_row(2, "李秀英")]), "a.xlsx", staff)
    client = staff_client("community", tree["community"], sensitive=True)
    exported = client.get("/admin/member/export/xlsx/").get_data()
    report = roster.validate(exported, "export.xlsx", staff)
    assert report.counts() == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "errors": 0}, report.errors


def test_cli_dry_run_then_commit(app, db, staff, tmp_path):
    from core.cli import cli
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx([good_row(1), good_row(2, "李秀英")]))
    runner = app.test_cli_runner()
    dry = runner.invoke(cli, ["import", "members", str(path)])
    assert dry.exit_code == 0 and "新增 2" in dry.output and "试运行" in dry.output
    assert count(db) == 0
    done = runner.invoke(cli, ["import", "members", str(path), "--commit", "--as", "imp"])
    assert done.exit_code == 0 and "已导入" in done.output
    assert count(db) == 2
    bad = tmp_path / "bad.xlsx"
    row = good_row(3)
    row[3] = "2016-02-30"
    bad.write_bytes(xlsx([row]))
    failed = runner.invoke(cli, ["import", "members", str(bad), "--commit", "--errors", str(tmp_path / "e.xlsx")])
    assert failed.exit_code == 1 and "第 2 行 入党日期" in failed.output and (tmp_path / "e.xlsx").exists()
    assert count(db) == 2


def test_upload_dry_run_then_commit_in_the_admin(app, db, tree, staff_client):
    client = staff_client("community", tree["community"])
    token = csrf_token(client, "/admin/roster_import/")
    bad = good_row(3)
    bad[3] = "2016-02-30"
    page = client.post("/admin/roster_import/", data={"csrf_token": token, "file": (io.BytesIO(xlsx([bad])), "b.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "错误 1" in page and "不存在" in page and "确认导入" not in page
    page = client.post("/admin/roster_import/", data={"csrf_token": token,
                                                       "file": (io.BytesIO(xlsx([good_row(1)])), "名册.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "新增 1" in page and count(db) == 0
    upload = re.search(r'/admin/roster_import/commit/(\w+)', page).group(1)
    other = staff_client("community", tree["community"])
    assert other.post(f"/admin/roster_import/commit/{upload}",
                      data={"csrf_token": csrf_token(other, "/admin/roster_import/")}).status_code == 404
    done = client.post(f"/admin/roster_import/commit/{upload}", data={"csrf_token": token})
    assert done.status_code == 302 and count(db) == 1
    refused = client.post("/admin/roster_import/", data={"csrf_token": token,
                                                          "file": (io.BytesIO(b"\x00junk"), "x.csv")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "不是表格" in refused
    assert staff_client("readonly", tree["community"]).get("/admin/roster_import/").status_code == 403


def test_branch_roster_in_xlsx_and_pdf_within_scope(app, db, staff, tree, staff_client):
    from pypdf import PdfReader
    roster.commit(xlsx([good_row(1), good_row(2, "李秀英")]), "a.xlsx", staff)
    client = staff_client("community", tree["community"])
    book = load_workbook(io.BytesIO(client.get(f"/admin/organization/roster/{tree['community'].id}/xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0].startswith("和平社区党委党员花名册") and "共 2 人" in rows[0][0]
    assert rows[1][:3] == ("序号", "姓名", "性别") and {r[1] for r in rows[2:]} == {"王建国", "李秀英"}
    pdf = client.get(f"/admin/organization/roster/{tree['branch'].id}/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "党员花名册" in text and "李秀英" in text
    assert client.get(f"/admin/organization/roster/{tree['other'].id}/xlsx").status_code == 404


def test_large_files_go_to_the_workers_with_progress(app, db, tree, staff_client, monkeypatch):
    """The task runs the same plain function a worker runs (core.roster.run_job); here it is
    called in-process because the broker is told to refuse, which is also the fallback path."""
    from core import dispatch
    from core.models import ImportJob
    monkeypatch.setattr(dispatch, "nudge", lambda *args: False)
    app.config["IMPORT_BACKGROUND_BYTES"] = 10
    try:
        client = staff_client("community", tree["community"])
        token = csrf_token(client, "/admin/roster_import/")
        rows = [good_row(n, f"成员{n}") for n in range(1, 31)]
        response = client.post("/admin/roster_import/", data={"csrf_token": token,
                                                               "file": (io.BytesIO(xlsx(rows)), "大名册.xlsx")},
                               content_type="multipart/form-data")
        job_url = response.headers["Location"]
        status = client.get(job_url + ".json").get_json()
        assert status["state"] == "checked" and status["counts"]["created"] == 30 and count(db) == 0
        assert "确认导入" in client.get(job_url).get_data(as_text=True)
        job_id = int(job_url.rsplit("/", 1)[1])
        other = staff_client("community", tree["community"])
        assert other.get(job_url + ".json").status_code == 404
        client.post(f"{job_url}/commit", data={"csrf_token": token})
        assert client.get(job_url + ".json").get_json()["state"] == "done" and count(db) == 30
        assert db.session.get(ImportJob, job_id).finished_at is not None
    finally:
        del app.config["IMPORT_BACKGROUND_BYTES"]


def test_progress_is_reported_while_reading(db, staff):
    seen = []
    rows = [good_row(n, f"成员{n}") for n in range(1, 2501)]
    report = roster.validate(xlsx(rows), "big.xlsx", staff, progress=seen.append)
    assert report.rows == 2500 and seen == [1000, 2000]
