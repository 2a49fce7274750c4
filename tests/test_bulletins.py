"""通报: compiled once per (scope, kind, period), versions on purpose, comparisons, XLSX and a Chinese PDF."""
import datetime as dt
from email import message_from_bytes
from email.policy import default as email_policy
import io
from pathlib import Path

from openpyxl import load_workbook
import pypdf
import pypdfium2
import pytest
from sqlalchemy import event, select

from core import bulletins, indicator_pass, pdf, periods, reminders
from core.extensions import db as database
from core.models import Bulletin, Finding, WorkUnit
from core.sweep import run_sweep
from factories import member, org_tree

NOW = dt.datetime(2026, 11, 2, 1, 0)


@pytest.fixture
def city(db):
    tree = org_tree()
    unit = WorkUnit(name="金川集团", kind="state_owned", contact_person="赵主任", email="party@jnmc.example")
    db.session.add(unit)
    db.session.add_all([member(tree), member(tree, liaison_group=None), member(tree, category="astronaut"),
                        member(tree, category="in_service", work_unit=unit),
                        member(tree, category="in_service", work_unit=unit, location=None, liaison_group=None)])
    db.session.commit()
    run_sweep(today=dt.date(2026, 10, 15))
    database.session.execute(database.update(Finding).values(first_seen=dt.datetime(2026, 10, 15)))
    db.session.commit()
    return tree, unit


def test_periods_parse_and_step_back():
    assert periods.parse("2026-10").previous().label == "2026-09"
    assert periods.parse("2026-Q1").previous().label == "2025-Q4"
    assert periods.parse("2026").end == dt.date(2027, 1, 1)
    assert periods.last_complete("quarter", dt.date(2026, 11, 29)).label == "2026-Q3"
    assert periods.last_complete("month", dt.date(2026, 1, 3)).label == "2025-12"


def test_a_bulletin_is_compiled_once_and_recompiled_only_on_purpose(app, city):
    tree, _ = city
    scope = f"org:{tree['community'].id}"
    first = bulletins.compile_bulletin("community", scope, "2026-10", now=NOW)
    assert first.state == "compiled"
    again = bulletins.compile_bulletin("community", scope, "2026-10", now=NOW)
    assert (again.state, again.bulletin_id) == ("skipped", first.bulletin_id)
    redo = bulletins.compile_bulletin("community", scope, "2026-10", recompile=True, now=NOW)
    assert redo.state == "compiled"
    versions = database.session.scalars(select(Bulletin.version).where(Bulletin.scope == scope)
                                        .order_by(Bulletin.version)).all()
    assert versions == [1, 2]

    bulletin = database.session.get(Bulletin, first.bulletin_id)
    assert bulletin.title == "和平社区党委2026年10月党员分类管理工作通报"
    coverage, findings = [s for s in bulletin.sections if s["key"].startswith("core.")]  # modes add theirs
    assert coverage["key"] == "core.coverage" and coverage["figures"] == {"在册党员": 5, "未认领": 1}
    assert ["（无）", "astronaut", 1] in coverage["rows"]
    assert findings["figures"]["新发现问题"] >= 2
    assert ["类别无人认领（漏管）", 1, 0, 1] in findings["rows"]
    # The previous period is computed on demand, so 上期 has a value even though no bulletin was compiled for it.
    assert "上期无数据" not in str(findings["comparison"])
    opened = next(c for c in findings["comparison"] if c["name"] == "新发现问题")
    assert opened["previous"] == 0 and opened["change_text"] == f"比上期增加{opened['value']}"
    html = bulletins.render_html(bulletin)
    assert "分类管理覆盖情况" in html and "astronaut" in html


def test_each_section_is_compared_with_the_previous_period(app, city):
    tree, _ = city
    scope = f"org:{tree['community'].id}"
    bulletins.compile_bulletin("community", scope, "2026-09", now=NOW)
    database.session.add(member(tree))
    database.session.commit()
    result = bulletins.compile_bulletin("community", scope, "2026-10", now=NOW)
    coverage = database.session.get(Bulletin, result.bulletin_id).sections[0]
    assert {c["name"]: c["change_text"] for c in coverage["comparison"]}["在册党员"] == "比上期增加1"


def test_a_dead_compile_is_taken_up_again_but_a_live_one_is_not(app, city):
    tree, _ = city
    scope = f"org:{tree['community'].id}"
    database.session.add(Bulletin(scope=scope, kind="community", period="2026-10", version=1, state="compiling",
                                  claim_token="worker-a", claimed_at=NOW - dt.timedelta(minutes=1), sections=[]))
    database.session.commit()
    assert bulletins.compile_bulletin("community", scope, "2026-10", now=NOW).state == "skipped"
    later = NOW + bulletins.LEASE + dt.timedelta(minutes=1)
    result = bulletins.compile_bulletin("community", scope, "2026-10", now=later)
    assert result.state == "compiled"
    assert database.session.scalars(select(Bulletin.state).where(Bulletin.scope == scope)).all() == ["compiled"]


def test_the_pdf_carries_correct_chinese_text_and_renders(app, city, tmp_path):
    tree, _ = city
    result = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-10", now=NOW)
    bulletin = database.session.get(Bulletin, result.bulletin_id)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(bulletin.pdf)).pages)
    assert "和平社区党委2026年10月党员分类管理工作通报" in text.replace("\n", "")
    assert "分类管理覆盖情况" in text and "问题发现与整改" in text and "在册党员5名" in text

    document = pypdfium2.PdfDocument(bulletin.pdf)
    page = document[0]
    image = page.render(scale=2).to_pil().convert("L")
    page.close()
    document.close()
    image.save(tmp_path / "bulletin-page1.png")
    width, height = image.size
    title_band = image.crop((0, 0, width, height // 10))
    dark = sum(title_band.histogram()[:128])
    assert dark > 500, "the title must be drawn, not left blank"
    # Missing glyphs would be drawn as .notdef boxes; the embedded font has every character used.
    from fontTools.ttLib import TTCollection
    cmap = TTCollection(pdf.font_path()).fonts[0].getBestCmap()
    assert all(ord(ch) in cmap for ch in text if not ch.isspace())

    book = load_workbook(io.BytesIO(bulletin.xlsx))
    assert book.sheetnames[0] == "概况" and book["概况"]["A1"].value == bulletin.title
    assert [c.value for c in book.worksheets[1][3]] == ["管理方式", "类别", "人数"]


def test_an_employer_bulletin_is_mailed_once_with_its_pdf_and_xlsx(app, city):
    _, unit = city
    (scope, _, unit_id), = bulletins.scopes("employer")
    assert unit_id == unit.id
    result = bulletins.compile_bulletin("employer", scope, "2026-10", now=NOW)
    assert result.state == "compiled" and len(result.outbox_ids) == 1
    assert bulletins.compile_bulletin("employer", scope, "2026-10", now=NOW).outbox_ids == ()
    sections = database.session.get(Bulletin, result.bulletin_id).sections
    assert sections[0]["figures"] == {"在职党员": 2, "已报到": 1}

    assert reminders.deliver(result.outbox_ids[0], now=dt.datetime(2026, 11, 2, 2, 0)).state == "sent"
    mail = message_from_bytes((Path(app.instance_path) / "mail" / f"{result.outbox_ids[0]}.eml").read_bytes(),
                              policy=email_policy)
    assert mail["To"] == "party@jnmc.example" and "金川集团" in mail["Subject"]
    pdf, xlsx = [part for part in mail.iter_attachments()]
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF")
    assert xlsx.get_filename().endswith(".xlsx") and xlsx.get_content().startswith(b"PK")


def test_statements_per_compile_do_not_grow_with_members(app, city, monkeypatch):
    tree, _ = city
    monkeypatch.setattr(bulletins, "render_pdf", lambda title, sections: b"%PDF")
    scope = f"org:{tree['community'].id}"

    def count(period):
        for label in (period, periods.parse(period).previous().label):  # the city's pass runs once, before
            indicator_pass.compute(label, today=NOW.date())
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            bulletins.compile_bulletin("community", scope, period, now=NOW)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        return len(seen)

    small = count("2026-08")
    database.session.add_all([member(tree, category=c) for c in ("retired", "mobile_in", "laid_off") * 10])
    database.session.commit()
    assert count("2026-07") == small
