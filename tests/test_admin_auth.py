import pytest
from sqlalchemy import select

from core.models import AuditEntry, LoginAttempt, Organization, Staff
from core.testing import csrf_token, log_in


@pytest.fixture
def secretary(db):
    org = Organization(kind="community", name="和平社区党委", code="C1")
    staff = Staff(username="wang", display_name="王书记", role="community", org=org)
    staff.set_password("correct horse battery")
    db.session.add_all([org, staff])
    db.session.commit()
    return staff


def attempt(client, password, username="wang", next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def test_log_in_and_out(client, secretary):
    response = attempt(client, "correct horse battery")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert "王书记" in client.get("/admin/").get_data(as_text=True)
    token = csrf_token(client, "/admin/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_wrong_password_says_so_in_chinese(client, secretary):
    response = attempt(client, "wrong")
    assert response.status_code == 200 and "用户名或密码错误" in response.get_data(as_text=True)


def test_failures_lock_the_account_from_that_address_even_with_the_right_password(client, secretary, db):
    for _ in range(5):
        attempt(client, "wrong")
    response = attempt(client, "correct horse battery")
    assert response.status_code == 429 and "登录失败次数过多" in response.get_data(as_text=True)
    assert db.session.scalar(select(LoginAttempt).where(LoginAttempt.success.is_(True))) is None


def test_failures_on_other_accounts_from_one_address_lock_nobody_else(client, secretary):
    """One office behind one NAT address: a colleague mistyping (or someone guessing) other names locks only those."""
    for n in range(12):
        attempt(client, "wrong", username=f"nobody{n}")
    assert attempt(client, "correct horse battery").status_code == 302


@pytest.mark.parametrize("target", ["http://evil.example/", "//evil.example/", "/\\evil.example", "https:evil"])
def test_log_in_never_redirects_off_site(client, secretary, target):
    response = attempt(client, "correct horse battery", next_url=target)
    assert response.headers["Location"] == "/admin/"


def test_log_in_returns_to_the_page_asked_for(client, secretary):
    response = attempt(client, "correct horse battery", next_url="/admin/member/")
    assert response.headers["Location"] == "/admin/member/"


def test_log_in_without_csrf_token_fails(client, secretary):
    response = client.post("/login", data={"username": "wang", "password": "correct horse battery"})
    assert response.status_code == 400


def test_disabled_account_cannot_log_in(client, secretary, db):
    secretary.active = False
    db.session.commit()
    assert "用户名或密码错误" in attempt(client, "correct horse battery").get_data(as_text=True)


def test_change_own_password(client, secretary, db):
    log_in(client, "wang", "correct horse battery")
    token = csrf_token(client, "/password")
    page = client.get("/password").get_data(as_text=True)
    assert "至少 10 个字符，不能含用户名或姓名" in page  # the rule is shown before anything fails
    short = client.post("/password", data={"current": "correct horse battery", "new": "short", "confirm": "short",
                                           "csrf_token": token})
    assert short.status_code == 200 and "10" in short.get_data(as_text=True)
    for weak, message in (("aaaaaaaaaa", "太容易被猜中"), ("wang-Xk29!pqLz", "不能包含用户名或姓名"),
                          ("我是王书记Xk29!pqLz", "不能包含用户名或姓名"), ("1234567890", "太容易被猜中"),
                          ("password123", "太容易被猜中")):
        refused = client.post("/password", data={"current": "correct horse battery", "new": weak, "confirm": weak,
                                                 "csrf_token": token})
        assert refused.status_code == 200 and message in refused.get_data(as_text=True), weak
        db.session.expire_all()
        assert db.session.get(Staff, secretary.id).check_password("correct horse battery")
    wrong = client.post("/password", data={"current": "nope", "new": "a much longer one", "confirm": "a much longer one",
                                           "csrf_token": token})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    ok = client.post("/password", data={"current": "correct horse battery", "new": "a much longer one",
                                        "confirm": "a much longer one", "csrf_token": token})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, secretary.id).check_password("a much longer one")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password")).actor == "wang"


def test_english_is_selectable(client, secretary):
    log_in(client, "wang", "correct horse battery")
    assert "党员名册" in client.get("/admin/member/").get_data(as_text=True)
    client.get("/lang/en", headers={"Referer": "http://localhost/admin/member/"})
    page = client.get("/admin/member/").get_data(as_text=True)
    assert "Member roll" in page and "Create" in page
