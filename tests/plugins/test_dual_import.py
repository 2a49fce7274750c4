"""Employers' lists imported as 到社区报到: every rule in Chinese, counts, all or nothing, scope, the screen, the CLI."""
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core import idcard, identity
from core.extensions import db as database
from core.models import AuditEntry, Member, Staff, WorkUnit
from core.plugin_api import ImportRefused
from core.testing import csrf_token
from factories import member, org_tree
from plugins.dual import imports
from plugins.dual.models import Registration

HEADERS = ("姓名", "身份证号", "联系电话", "居住地址", "所在社区", "工作单位", "入党日期", "转正日期")
BIRTH = dt.date(1985, 3, 14)


def number(seq, birth=BIRTH, gender="male"):
    return idcard.make_number("620302", birth, seq, gender)


def row(seq, name="刘志强", community="C1", unit="金川集团", joined="2010-07-01", confirmed="2011-07-01"):
    return [name, number(seq), "13909351234", "金川区北京路12号", community, unit, joined, confirmed]


def xlsx(rows, headers=HEADERS):
    book = Workbook()
    book.active.append(list(headers))
    for cells in rows:
        book.active.append(list(cells))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def tree(db):
    world = org_tree()
    world["unit"] = WorkUnit(name="金川集团", kind="state_owned")
    db.session.add(world["unit"])
    db.session.commit()
    return world


@pytest.fixture
def staff(db, tree):
    person = Staff(username="hp", display_name="和平社区", role="community", org=tree["community"])
    person.set_password("0123456789ab")
    db.session.add(person)
    db.session.commit()
    return person


def counts(db):
    return (db.session.scalar(select(func.count()).select_from(Member)),
            db.session.scalar(select(func.count()).select_from(Registration)))


def on_record(tree, seq, name="刘志强", category="in_service", **fields):
    """A member already on record, with the list's 身份证 number."""
    person = member(tree, name=name, id_number=number(seq), gender="male", birth_date=BIRTH, category=category,
                    affiliation=None, work_unit=tree["unit"], liaison_group=None, joined_on=dt.date(2010, 7, 1),
                    confirmed_on=dt.date(2011, 7, 1), **fields)
    database.session.add(person)
    database.session.commit()
    return person


def test_dry_run_counts_then_commit_creates_members_and_registrations_audited_once(db, tree, staff):
    on_record(tree, 2, name="王芳")
    data = xlsx([row(1), row(2, "王芳", joined=None, confirmed=None)])
    report = imports.validate(data, "名单.xlsx", staff)
    assert report.ok, report.errors
    assert report.counts() == {"rows": 2, "members": 1, "registrations": 2, "unchanged": 0, "errors": 0}
    assert counts(db) == (1, 0)
    report = imports.commit(data, "名单.xlsx", staff)
    assert report.committed and counts(db) == (2, 2)
    new = db.session.scalar(select(Member).where(Member.name == "刘志强"))
    assert (new.category, new.location_id, new.work_unit_id, new.status) == \
        ("in_service", tree["community"].id, tree["unit"].id, "full")
    assert (new.gender, new.birth_date, new.name_initials) == ("male", BIRTH, "lzq")
    cards = db.session.scalars(select(Registration.card_no).order_by(Registration.card_no)).all()
    assert cards == ["C1-00001", "C1-00002"]
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert entry.table_name == "dual_registration" and entry.after["sha256"] == report.checksum
    assert entry.after["members"] == 1 and entry.after["registrations"] == 2
    again = imports.commit(data, "名单.xlsx", staff)
    assert again.counts()["unchanged"] == 2 and counts(db) == (2, 2)


@pytest.mark.parametrize("cells, column, words", [
    ({1: number(3)[:-1] + ("0" if number(3)[-1] != "0" else "1")}, "身份证号码", "校验位"),
    ({1: "62030219850314"}, "身份证号码", "应为18位"),
    ({4: "不存在的社区"}, "所在社区", "找不到社区“不存在的社区”，或不在您的管理范围内"),
    ({4: "C2"}, "所在社区", "不在您的管理范围内"),  # exists, but another community's
    ({4: "C1B1"}, "所在社区", "须为社区党组织"),
    ({5: "不存在的公司"}, "工作单位", "找不到工作单位“不存在的公司”"),
    ({5: None}, "工作单位", "工作单位不能为空"),
    ({6: None, 7: None}, "入党日期", "入党日期不能为空"),  # a member not on record needs it
    ({6: "2010-02-30"}, "入党日期", "不存在"),
    ({7: "2009-01-01"}, "转正日期", "不能早于入党日期"),
    ({0: ""}, "姓名", "姓名不能为空"),
])
def test_each_rule_reports_row_column_and_chinese_message_and_writes_nothing(db, tree, staff, cells, column, words):
    bad = row(3)
    for index, value in cells.items():
        bad[index] = value
    report = imports.commit(xlsx([row(1), bad]), "名单.xlsx", staff)
    assert not report.committed and counts(db) == (0, 0)
    assert len(report.errors) == 1, report.errors
    (error,) = report.errors
    assert (error.row, error.column) == (3, column) and words in error.message, error


def test_gender_and_birth_date_must_agree_with_the_id_number(db, tree, staff):
    data = xlsx([["刘志强", number(1), "女", "1985-03-15", "C1", "金川集团", "2010-07-01", ""]],
                headers=("姓名", "身份证号码", "性别", "出生日期", "所在社区", "工作单位", "入党日期", "转正日期"))
    report = imports.validate(data, "名单.xlsx", staff)
    assert {(e.column, "不一致" in e.message) for e in report.errors} == {("性别", True), ("出生日期", True)}


def test_members_on_record_are_matched_by_id_number(db, tree, staff):
    registered = on_record(tree, 4, name="已报到")
    db.session.add(Registration(member=registered, org=tree["community"], registered_on=dt.date(2024, 1, 1),
                                card_no="C1-00007"))
    elsewhere = on_record(tree, 5, name="外社区", location=tree["other"])
    db.session.add(Registration(member=elsewhere, org=tree["other"], registered_on=dt.date(2024, 1, 1),
                                card_no="C2-00001"))
    on_record(tree, 6, name="退休的", category="retired")
    on_record(tree, 7, name="张伟")
    moved = on_record(tree, 9, name="搬来的")
    db.session.add(Registration(member=moved, org=tree["other"], registered_on=dt.date(2024, 1, 1),
                                card_no="C2-00002"))
    db.session.commit()
    rows = [row(4, "已报到", joined=None), row(5, "外社区"), row(6, "退休的"), row(7, "张卫"), row(8), row(8),
            row(9, "搬来的")]
    report = imports.commit(xlsx(rows), "名单.xlsx", staff)
    messages = {(e.row, e.column, e.message) for e in report.errors}
    assert messages == {
        (3, "身份证号码", identity.refusal()),  # a member of another community: not named, not placed
        (4, "身份证号码", "“退休的”不是在职党员，不能到社区报到"),
        (5, "姓名", "姓名与系统中该身份证号码的党员不一致"),
        (7, "身份证号码", "与第 6 行的身份证号码重复"),
        (8, "所在社区", "该党员已在其他社区报到，须先在原社区登记离开"),  # which one lies outside the scope
    }
    assert report.unchanged == 1 and counts(db) == (5, 3)
    report = imports.commit(xlsx([row(4, "已报到", joined=None), row(7, "张伟"), row(8)]), "名单.xlsx", staff)
    assert report.committed and report.counts()["unchanged"] == 1
    assert sorted(db.session.scalars(select(Registration.card_no))) == ["C1-00007", "C1-00008", "C1-00009",
                                                                        "C2-00001", "C2-00002"]


def test_a_street_staffer_imports_into_its_communities_and_an_employer_chosen_on_upload(db, tree):
    street = Staff(username="jd", display_name="街道", role="street", org=tree["street"])
    data = xlsx([row(1, community="和平社区党委")[:5], row(2, community="建设社区党委")[:5] ],
                headers=HEADERS[:5])
    with pytest.raises(ImportRefused, match="缺少必需的列：工作单位"):
        imports.validate(data, "名单.xlsx", street)
    with pytest.raises(ImportRefused, match="找不到工作单位“别的单位”"):
        imports.validate(data, "名单.xlsx", street, employer="别的单位")
    report = imports.validate(data, "名单.xlsx", street, employer="金川集团")
    assert [e.message for e in report.errors] == ["入党日期不能为空"] * 2  # new members: their 入党日期 is needed
    data = xlsx([[*row(1, community="和平社区党委")[:5], "", "2010-07-01"],
                 [*row(2, community="建设社区党委")[:5], "", "2010-07-01"]], headers=HEADERS[:7])
    assert imports.commit(data, "名单.xlsx", street, employer="金川集团").committed
    assert set(db.session.scalars(select(Member.work_unit_id))) == {tree["unit"].id}
    assert sorted(db.session.scalars(select(Registration.card_no))) == ["C1-00001", "C2-00001"]


def test_gbk_csv_with_header_variants_and_the_error_report(db, tree, staff):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["党员姓名", "公民身份号码", "手机", "家庭住址", "居住社区", "单位", "入党时间", "报到日期"])
    writer.writerow(["赵红梅", number(9, gender="female"), "13800000000", "北京路", "C1", "金川集团", "2012/7/1",
                     "2025年3月1日"])
    writer.writerow(["钱多多", number(10), "", "", "C1", "金川集团", "2012/7/1", "2099-01-01"])
    data = out.getvalue().encode("gbk")
    report = imports.validate(data, "名单.csv", staff)
    (error,) = report.errors
    assert (error.row, error.column) == (3, "报到日期") and "晚于今天" in error.message
    book = load_workbook(io.BytesIO(imports.error_report_xlsx(data, "名单.csv", report)))
    bad = book["数据"].cell(row=3, column=8)
    assert bad.value == "2099-01-01" and bad.fill.fgColor.rgb.endswith("FFC7CE") and "晚于今天" in bad.comment.text
    good = out.getvalue().splitlines()[:2]
    assert imports.commit("\n".join(good).encode("gbk"), "名单.csv", staff).committed
    assert db.session.scalar(select(Registration.registered_on)) == dt.date(2025, 3, 1)


def test_the_template_reads_back_as_an_empty_list(db, tree, staff):
    data = imports.template_xlsx()
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("姓名", "身份证号码", "性别", "出生日期", "联系电话") and rows[1][0].startswith("（说明）")
    assert imports.validate(data, "模板.xlsx", staff).counts()["rows"] == 0


def test_statements_do_not_grow_with_the_rows(app, db, tree, staff):
    from sqlalchemy import event

    def statements(size):
        seen = []
        listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            report = imports.validate(xlsx([row(n, f"成员{n}") for n in range(1, size + 1)]), "名单.xlsx", staff)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert report.ok and len(report.created) == size
        return seen

    statements(5)  # the first pays for what is loaded once (translations, the connection's set-up)
    assert len(statements(5)) == len(statements(300))


def test_the_screen_upload_dry_run_error_report_and_commit(app, db, tree, staff_client):
    client = staff_client("community", tree["community"])
    url = "/admin/dual_import/"
    page = client.get(url).get_data(as_text=True)
    assert "（按表中“工作单位”列）" in page and "金川集团" in page
    token = csrf_token(client, url)
    bad = row(3)
    bad[4] = "C2"
    page = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(xlsx([row(1), bad])), "单位名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "错误 1" in page and "不在您的管理范围内" in page and "确认导入" not in page
    upload = re.search(r"/admin/dual_import/errors/(\w+)", page).group(1)
    report = load_workbook(io.BytesIO(client.get(f"{url}errors/{upload}").data))
    assert report["错误"].cell(row=2, column=2).value == "所在社区"
    without_unit = xlsx([row(1)[:5] + [None, "2010-07-01"]], headers=HEADERS[:7])
    page = client.post(url, data={"csrf_token": token, "employer": str(tree["unit"].id),
                                  "file": (io.BytesIO(without_unit), "单位名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "新建党员 1，新建报到 1" in page and counts(db) == (0, 0)
    upload = re.search(r"/admin/dual_import/commit/(\w+)", page).group(1)
    other = staff_client("community", tree["community"])
    assert other.post(f"{url}commit/{upload}", data={"csrf_token": csrf_token(other, url)}).status_code == 404
    done = client.post(f"{url}commit/{upload}", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/dual_registration/")
    assert counts(db) == (1, 1)
    assert db.session.scalar(select(Member.work_unit_id)) == tree["unit"].id
    template = client.get(f"{url}template")
    assert template.status_code == 200 and load_workbook(io.BytesIO(template.data)).active["A1"].value == "姓名"
    assert staff_client("readonly", tree["community"]).get(url).status_code == 403


def test_cli_dry_run_then_commit(app, db, tree, staff, tmp_path):
    from core.cli import cli
    app.extensions["wuguan"].hook.wuguan_cli(cli=cli)
    runner = app.test_cli_runner()
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx([row(1)[:5] + [None, "2010-07-01"]], headers=HEADERS[:7]))
    dry = runner.invoke(cli, ["import", "registrations", str(path), "--employer", "金川集团"])
    assert dry.exit_code == 0 and "新建党员 1，新建报到 1" in dry.output and "试运行" in dry.output, dry.output
    assert counts(db) == (0, 0)
    refused = runner.invoke(cli, ["import", "registrations", str(path), "--employer", "无此单位"])
    assert refused.exit_code == 1 and "找不到工作单位“无此单位”" in refused.output
    outside = runner.invoke(cli, ["import", "registrations", str(path), "--employer", "金川集团", "--commit",
                                  "--as", "hp"])
    assert outside.exit_code == 0 and "已导入" in outside.output and counts(db) == (1, 1)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([row(2, community="C2")]))
    failed = runner.invoke(cli, ["import", "registrations", str(bad), "--commit", "--as", "hp",
                                 "--errors", str(tmp_path / "e.xlsx")])
    assert failed.exit_code == 1 and "第 2 行 所在社区" in failed.output and (tmp_path / "e.xlsx").exists()
    assert counts(db) == (1, 1)
