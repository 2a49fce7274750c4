"""The staff's day in a real browser: headless Chromium (Debian's package) driven by Playwright."""
import datetime as dt
import os
import shutil
import threading

import pytest

from core import idcard
from core.models import Member, Organization, Staff

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError("Chromium is required under CI: scripts/test.sh installs Debian's chromium package")
    pytest.skip("Chromium is not installed (scripts/test.sh installs it)", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")
PASSWORD = "browser-test-password"


@pytest.fixture
def live_server(app, db):
    from waitress import create_server
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def community(db):
    street = Organization(kind="street", name="滨河路街道党工委", code="S")
    made = {}
    for key in ("A", "B"):
        made[key] = Organization(kind="community", name=f"{key}社区党委", code=key, parent=street)
        branch = Organization(kind="branch", name=f"{key}社区第一党支部", code=f"{key}B", parent=made[key])
        for n, name in enumerate(("张三", "李四", "王五")):
            birth = dt.date(1970 + n, 1 if key == "A" else 2, 1)
            db.session.add(Member(name=f"{name}{key}" if n else (name if key == "A" else "张珊B"), gender="male",
                                  birth_date=birth, id_number=idcard.make_number("620302", birth, n, "male"),
                                  phone=f"1391234{n}{ord(key)}", joined_on=dt.date(1995, 7, 1),
                                  confirmed_on=dt.date(1996, 7, 1), status="full", category="resident",
                                  affiliation=branch, location=made[key]))
    staff = Staff(username="jie", display_name="街道干事", role="street", org=street)
    staff.set_password(PASSWORD)
    db.session.add_all([street, staff])
    db.session.commit()
    return made


@pytest.fixture
def page():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        yield context.new_page()
        browser.close()


def test_a_staffers_day(live_server, community, page, tmp_path):
    # What the Content-Security-Policy refused: every script must come from a file or carry the nonce.
    # Flask-Admin's href="javascript:void(0)" links are refused too, and do nothing either way.
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            and "JavaScript URL" not in message.text else None)
    page.goto(f"{live_server}/admin/")
    assert "/login" in page.url
    page.fill("#username", "jie")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#total-members")
    assert page.inner_text("#total-members") == "6"
    assert page.evaluate("Chart.getChart('mode-chart') !== undefined")
    page.screenshot(path=str(tmp_path / "dashboard.png"))

    page.goto(f"{live_server}/admin/member/")
    page.fill("input[name=search]", "zs")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.inner_text("table.model-list")
    assert "张三" in rows and "张珊B" in rows and "李四A" not in rows

    page.click("text=张三 >> xpath=ancestor::tr//a[contains(@href, 'details')]")
    page.wait_for_selector("#member-name")
    assert page.inner_text("#member-name") == "张三"
    page.screenshot(path=str(tmp_path / "member.png"))

    page.goto(f"{live_server}/admin/member/")
    page.click("text=添加筛选器")
    page.click("a.filter:has-text('所在社区')")
    page.click("div.select2-container.filter-val")
    page.click(".select2-result-label:has-text('B社区党委')")
    with page.expect_navigation():
        page.click("button:has-text('应用')")
    rows = page.inner_text("table.model-list")
    assert "张珊B" in rows and "张三" not in rows.replace("张三B", "")

    page.click("text=导出")
    with page.expect_download() as download:
        page.click("a:has-text('Xlsx'), a:has-text('XLSX'), a:has-text('xlsx')")
    saved = tmp_path / "members.xlsx"
    download.value.save_as(saved)
    from openpyxl import load_workbook
    names = [row[0].value for row in load_workbook(saved).active.iter_rows(min_row=2)]
    assert sorted(names) == ["张珊B", "李四B", "王五B"]

    page.goto(f"{live_server}/admin/member/new/")
    page.wait_for_selector("form.admin-form")
    assert blocked == []

    page.click("#staff-menu")
    with page.expect_navigation():
        page.click("#logout")
    page.wait_for_selector("#login")
    page.goto(f"{live_server}/admin/member/")
    assert "/login" in page.url


def test_a_staffer_without_the_right_sees_masks_and_cannot_overwrite_them(live_server, community, page, db):
    """The member page and the edit form show the masked numbers and the age; saving keeps the numbers."""
    from core import privacy
    staff = Staff(username="she", display_name="社区干事", role="community", org=community["A"],
                  can_see_sensitive=False)
    staff.set_password(PASSWORD)
    db.session.add(staff)
    db.session.commit()
    member = db.session.query(Member).filter_by(name="张三").one()
    number, phone, born = member.id_number, member.phone, member.birth_date
    page.goto(f"{live_server}/login")
    page.fill("#username", "she")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#total-members")

    page.goto(f"{live_server}/admin/member/details/?id={member.id}")
    assert page.inner_text("#member-id-number") == privacy.mask(number, "id_number")
    assert page.inner_text("#member-phone") == privacy.mask(phone, "phone")
    assert page.inner_text("#member-birth-date") == f"{privacy.age(born)}岁"
    assert number not in page.content() and phone not in page.content() and born.isoformat() not in page.content()

    page.goto(f"{live_server}/admin/member/edit/?id={member.id}")
    assert page.input_value("#id_number") == privacy.mask(number, "id_number")
    assert page.input_value("#phone") == privacy.mask(phone, "phone")
    assert page.input_value("#birth_date") == f"{privacy.age(born)}岁"
    assert page.get_attribute("#phone", "readonly") is not None
    page.evaluate("document.querySelector('#phone').removeAttribute('readonly')")  # a determined staffer
    page.fill("#phone", "13000000000")
    page.fill("#ethnicity", "回族")
    with page.expect_navigation():
        page.click("input[type=submit][value='保存'], button[type=submit]:has-text('保存')")
    db.session.expire_all()
    saved = db.session.get(Member, member.id)
    assert saved.ethnicity == "回族"
    assert (saved.id_number, saved.phone, saved.birth_date) == (number, phone, born)
