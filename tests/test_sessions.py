"""Sessions, log-in throttling, the password rule and the TOTP second factor (issue 16, item 5)."""
import datetime as dt
import json
import re

import pyotp
import pytest
from sqlalchemy import select

from core import settings
from core.admin import sessions, totp
from core.models import AuditEntry, LoginAttempt, Organization, Staff
from core.models.base import utcnow
from core.testing import csrf_token, log_in

PASSWORD = "correct horse battery"
HOME, ELSEWHERE = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}


@pytest.fixture
def secretary(db):
    org = Organization(kind="community", name="和平社区党委", code="C1")
    staff = Staff(username="wang", display_name="王书记", role="community", org=org)
    staff.set_password(PASSWORD)
    db.session.add_all([org, staff])
    db.session.commit()
    return staff


def browser(app, environ=None):
    client = app.test_client()
    if environ:
        client.environ_base.update(environ)
    return client


def attempt(client, password, username="wang"):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def logged_in(client):
    response = client.get("/admin/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def copy_of(app, client):
    """Another browser holding a captured copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def shift_attempts(db, **delta):
    for row in db.session.scalars(select(LoginAttempt)):
        row.at -= dt.timedelta(**delta)
    db.session.commit()


# -- sessions end together ------------------------------------------------------------------------

def test_log_out_ends_every_session_of_the_account_including_captured_copies(app, secretary):
    here, there = log_in(browser(app), "wang", PASSWORD), log_in(browser(app), "wang", PASSWORD)
    thief = copy_of(app, here)
    assert logged_in(thief) and logged_in(there)
    assert here.post("/logout", data={"csrf_token": csrf_token(here, "/admin/")}).status_code == 302
    assert not logged_in(here) and not logged_in(thief) and not logged_in(there)
    assert logged_in(log_in(browser(app), "wang", PASSWORD))


def test_password_change_ends_other_sessions_and_keeps_this_one(app, secretary, db):
    here, there = log_in(browser(app), "wang", PASSWORD), log_in(browser(app), "wang", PASSWORD)
    thief = copy_of(app, here)
    new = "紫荆花开-river-7391"
    response = here.post("/password", data={"current": PASSWORD, "new": new, "confirm": new,
                                            "csrf_token": csrf_token(here, "/password")})
    assert response.status_code == 302
    assert logged_in(here) and not logged_in(thief) and not logged_in(there)
    db.session.expire_all()
    assert db.session.get(Staff, secretary.id).session_version == 2


def test_administrators_reset_or_deactivation_ends_the_accounts_sessions(app, secretary, staff_client, db):
    admin = staff_client("admin")
    victim = log_in(browser(app), "wang", PASSWORD)
    url = f"/admin/staff/edit/?id={secretary.id}"
    form = {"username": "wang", "display_name": "王书记", "role": "community", "org": str(secretary.org_id),
            "active": "y", "new_password": "", "csrf_token": csrf_token(admin, url)}
    assert admin.post(url, data=form).status_code == 302
    assert logged_in(victim)  # an edit that changes neither password nor state leaves sessions alone
    assert admin.post(url, data={**form, "new_password": "晨光-harbor-5208"}).status_code == 302
    assert not logged_in(victim)
    victim = log_in(browser(app), "wang", "晨光-harbor-5208")
    assert admin.post(url, data={k: v for k, v in form.items() if k != "active"}).status_code == 302
    assert not logged_in(victim)
    assert logged_in(admin)


def test_administrator_resetting_her_own_password_stays_logged_in_here(app, staff_client, db):
    admin = staff_client("admin")
    elsewhere = copy_of(app, admin)
    me = admin.staff
    url = f"/admin/staff/edit/?id={me.id}"
    form = {"username": me.username, "display_name": me.display_name, "role": "admin", "active": "y",
            "can_see_sensitive": "y", "new_password": "晨光-harbor-5208", "csrf_token": csrf_token(admin, url)}
    assert admin.post(url, data=form).status_code == 302
    assert logged_in(admin) and not logged_in(elsewhere)


def test_idle_session_expires(app, secretary):
    client = log_in(browser(app), "wang", PASSWORD)
    with client.session_transaction() as stored:
        stored[sessions.SEEN] -= 2 * 3600 - 60
    assert logged_in(client)  # used just now: the idle time starts again
    with client.session_transaction() as stored:
        stored[sessions.SEEN] -= 2 * 3600 + 1
    assert not logged_in(client)


def test_session_expires_after_its_absolute_lifetime_however_busy(app, secretary):
    client = log_in(browser(app), "wang", PASSWORD)
    with client.session_transaction() as stored:
        stored[sessions.BEGAN] -= 12 * 3600 - 60
    assert logged_in(client)
    with client.session_transaction() as stored:
        stored[sessions.BEGAN] -= 61
    assert not logged_in(client)


def test_a_session_without_its_stamps_is_refused(app, secretary):
    """What Flask-Login's remember cookie, or a cookie from before the rule, would give: nothing."""
    client = browser(app)
    client.get("/login")
    with client.session_transaction() as stored:
        stored["_user_id"] = secretary.get_id()
    assert not logged_in(client)


def test_log_in_renews_the_csrf_token(app, secretary):
    client = browser(app)
    before = csrf_token(client)
    client.post("/login", data={"username": "wang", "password": PASSWORD, "csrf_token": before})
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert logged_in(client)


def test_session_lifetimes_are_settings(tmp_path):
    config = settings.from_environment(tmp_path, {"WUGUAN_SESSION_IDLE": "30m", "WUGUAN_SESSION_MAX": "8h",
                                                  "WUGUAN_HTTPS": "1", "SECRET_KEY": "x"})
    assert config["WUGUAN_SESSION_IDLE"] == config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(minutes=30)
    assert config["WUGUAN_SESSION_MAX"] == config["REMEMBER_COOKIE_DURATION"] == dt.timedelta(hours=8)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    default = settings.from_environment(tmp_path, {"SECRET_KEY": "x"})
    assert default["WUGUAN_SESSION_IDLE"] == dt.timedelta(hours=2) and not default["SESSION_COOKIE_SECURE"]
    assert default["WUGUAN_SESSION_MAX"] == dt.timedelta(hours=12)
    with pytest.raises(ValueError, match="WUGUAN_SESSION_IDLE"):
        settings.from_environment(tmp_path, {"WUGUAN_SESSION_IDLE": "soon", "SECRET_KEY": "x"})


def test_session_cookie_flags(app, secretary):
    response = attempt(browser(app), PASSWORD)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie
    assert not any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))


def test_session_cookie_is_secure_under_https(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        from core.extensions import db
        staff = Staff(username="li", display_name="李", role="admin")
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
    response = attempt(browser(app), PASSWORD, username="li")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "SameSite=Lax" in cookie


# -- throttling -----------------------------------------------------------------------------------

def test_lockout_from_one_address_does_not_refuse_the_right_password_from_another(app, secretary):
    attacker, owner = browser(app, HOME), browser(app, ELSEWHERE)
    for _ in range(5):
        assert "用户名或密码错误" in attempt(attacker, "guess").get_data(as_text=True)
    refused = attempt(attacker, PASSWORD)
    assert refused.status_code == 429 and "登录失败次数过多" in refused.get_data(as_text=True)
    assert attempt(owner, PASSWORD).status_code == 302


def test_lockout_backs_off(app, secretary, db):
    client = browser(app, HOME)
    for _ in range(5):
        attempt(client, "guess")
    shift_attempts(db, minutes=16)  # the first lock (15 minutes) is over
    assert "用户名或密码错误" in attempt(client, "guess").get_data(as_text=True)
    shift_attempts(db, minutes=16)  # the second lock lasts 30 minutes
    assert attempt(client, PASSWORD).status_code == 429
    shift_attempts(db, minutes=15)
    assert attempt(client, PASSWORD).status_code == 302


def test_behind_a_proxy_throttling_keys_on_the_forwarded_address(make_app):
    app = make_app(WUGUAN_PROXY_HOPS=1)
    with app.app_context():
        from core.extensions import db
        staff = Staff(username="li", display_name="李", role="admin")
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
    attacker = browser(app, {"REMOTE_ADDR": "10.0.0.254", "HTTP_X_FORWARDED_FOR": "203.0.113.7"})
    owner = browser(app, {"REMOTE_ADDR": "10.0.0.254", "HTTP_X_FORWARDED_FOR": "198.51.100.8"})
    for _ in range(5):
        attempt(attacker, "guess", username="li")
    assert attempt(attacker, PASSWORD, username="li").status_code == 429
    assert attempt(owner, PASSWORD, username="li").status_code == 302


def test_a_success_resets_the_count_of_its_address(app, secretary):
    client = browser(app, HOME)
    for _ in range(4):
        attempt(client, "guess")
    assert attempt(client, PASSWORD).status_code == 302
    client = browser(app, HOME)
    for _ in range(4):
        attempt(client, "guess")
    assert attempt(client, PASSWORD).status_code == 302


def test_guessing_from_many_addresses_only_slows_the_account(app, secretary, db):
    now = utcnow()
    db.session.add_all([LoginAttempt(at=now, username="wang", address=f"10.9.0.{n}", success=False)
                        for n in range(16)])
    db.session.commit()
    refused = attempt(browser(app, ELSEWHERE), PASSWORD)
    assert refused.status_code == 429 and "登录尝试过于频繁" in refused.get_data(as_text=True)
    shift_attempts(db, seconds=61)  # the delay never exceeds a minute: the owner gets in
    assert attempt(browser(app, ELSEWHERE), PASSWORD).status_code == 302


def test_refusals_read_the_same_whether_or_not_the_account_exists(app, secretary):
    client = browser(app, HOME)
    for _ in range(5):
        attempt(client, "guess")
        attempt(client, "guess", username="nobody")
    existing, missing = attempt(client, PASSWORD), attempt(client, PASSWORD, username="nobody")
    assert existing.status_code == missing.status_code == 429

    def page(response, name):
        return re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True).replace(name, ""))
    assert page(existing, "wang") == page(missing, "nobody")


def test_administrator_unlocks_an_account(app, secretary, staff_client, db):
    client = browser(app, HOME)
    for _ in range(5):
        attempt(client, "guess")
    assert attempt(client, PASSWORD).status_code == 429
    admin = staff_client("admin")
    response = admin.post("/admin/staff/action/", data={"action": "unlock", "rowid": [str(secretary.id)],
                                                        "csrf_token": csrf_token(admin, "/admin/staff/")})
    assert response.status_code == 302
    assert attempt(client, PASSWORD).status_code == 302
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "staff",
                                                        AuditEntry.action == "update")).one()
    assert set(entry.after) == {"unlocked_at"} and entry.actor == admin.staff.username


def test_only_administrators_unlock(app, secretary, staff_client):
    client = browser(app, HOME)
    for _ in range(5):
        attempt(client, "guess")
    other = staff_client("community", secretary.org)
    response = other.post("/admin/staff/action/", data={"action": "unlock", "rowid": [str(secretary.id)],
                                                        "csrf_token": csrf_token(other, "/admin/")})
    assert response.status_code == 403
    assert attempt(client, PASSWORD).status_code == 429


# -- the password rule ----------------------------------------------------------------------------

@pytest.mark.parametrize("weak, message", [("aaaaaaaaaa", "太容易被猜中"), ("wang20261201!", "不能包含用户名或姓名"),
                                           ("qwertyuiop", "太容易被猜中"), ("short", "至少需要 10 个字符")])
def test_administrator_cannot_set_a_weak_password(app, secretary, staff_client, db, weak, message):
    admin = staff_client("admin")
    url = f"/admin/staff/edit/?id={secretary.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "不能含用户名或姓名" in page  # the rule is on the form before anything fails
    response = admin.post(url, data={"username": "wang", "display_name": "王书记", "role": "community",
                                     "org": str(secretary.org_id), "active": "y", "new_password": weak,
                                     "csrf_token": csrf_token(admin, url)})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Staff, secretary.id).check_password(PASSWORD)


def test_generated_and_test_passwords_pass_the_rule(app, db, monkeypatch, tmp_path):
    import uuid
    from core import passwords
    from core.cli import ensure_admin
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    assert passwords.problems(uuid.uuid4().hex, "community1", "community 1") == []
    username, password = ensure_admin()
    assert passwords.problems(password, username, "系统管理员") == []


def test_create_admin_refuses_a_weak_password(app, db):
    from core.cli import cli
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["create-admin", "--username", "boss", "--password", "aaaaaaaaaa"])
    assert result.exit_code != 0 and "太容易被猜中" in result.output
    assert db.session.scalar(select(Staff).where(Staff.username == "boss")) is None
    result = runner.invoke(cli, ["create-admin", "--username", "boss", "--password", "晨光-harbor-5208"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Staff).where(Staff.username == "boss")).check_password("晨光-harbor-5208")


# -- TOTP -----------------------------------------------------------------------------------------

T0 = 1_790_000_000  # a fixed moment: the codes below do not depend on the clock


@pytest.fixture
def clock(monkeypatch):
    now = {"t": float(T0)}
    monkeypatch.setattr(totp, "_now", lambda: now["t"])
    return now


def enrol(client, db, staff, at):
    page = client.get("/totp").get_data(as_text=True)
    db.session.expire_all()
    secret = db.session.get(Staff, staff.id).totp_secret
    assert 'src="data:image/svg+xml' in page and secret in page
    code = pyotp.TOTP(secret).at(at)
    response = client.post("/totp", data={"code": code, "csrf_token": csrf_token(client, "/totp")})
    assert response.status_code == 302
    return secret


def test_totp_enrolment_and_log_in(app, secretary, db, clock):
    client = log_in(browser(app), "wang", PASSWORD)
    first = client.get("/totp").get_data(as_text=True)
    token = csrf_token(client, "/totp")
    wrong = client.post("/totp", data={"code": "000000", "csrf_token": token})
    assert "验证码不正确" in wrong.get_data(as_text=True)
    db.session.expire_all()
    staff = db.session.get(Staff, secretary.id)
    assert not staff.totp_enrolled and staff.totp_secret in first  # reloading kept the same secret
    secret = enrol(client, db, secretary, T0)
    assert logged_in(client)
    assert "两步验证已启用" in client.get("/totp").get_data(as_text=True)
    assert secret not in client.get("/totp").get_data(as_text=True)

    other = browser(app)
    response = attempt(other, PASSWORD)
    assert response.headers["Location"] == "/login/code"
    assert not logged_in(other)  # the password alone is not a log-in
    bad = other.post("/login/code", data={"code": "123456", "csrf_token": csrf_token(other, "/login/code")})
    assert "验证码不正确" in bad.get_data(as_text=True) and not logged_in(other)
    replay = other.post("/login/code", data={"code": pyotp.TOTP(secret).at(T0),
                                             "csrf_token": csrf_token(other, "/login/code")})
    assert "验证码不正确或已用过" in replay.get_data(as_text=True)  # the code used to enrol is spent
    clock["t"] = T0 + 30
    ok = other.post("/login/code", data={"code": pyotp.TOTP(secret).at(T0 + 30),
                                         "csrf_token": csrf_token(other, "/login/code")})
    assert ok.status_code == 302 and ok.headers["Location"] == "/admin/" and logged_in(other)

    third = browser(app)
    attempt(third, PASSWORD)
    again = third.post("/login/code", data={"code": pyotp.TOTP(secret).at(T0 + 30),
                                            "csrf_token": csrf_token(third, "/login/code")})
    assert again.status_code == 200 and not logged_in(third)


def test_totp_secret_never_reaches_the_audit_log_or_the_staff_screen(app, secretary, staff_client, db, clock):
    client = log_in(browser(app), "wang", PASSWORD)
    secret = enrol(client, db, secretary, T0)
    logged = json.dumps([[e.before, e.after, e.note] for e in db.session.scalars(select(AuditEntry))],
                        ensure_ascii=False)
    assert "totp_confirmed_at" in logged and secret not in logged and "totp_secret" not in logged
    admin = staff_client("admin")
    details = admin.get(f"/admin/staff/details/?id={secretary.id}").get_data(as_text=True)
    assert "王书记" in details and secret not in details and "scrypt" not in details


def test_wrong_codes_count_as_failed_log_ins(app, secretary, db, clock):
    client = log_in(browser(app), "wang", PASSWORD)
    secret = enrol(client, db, secretary, T0)
    client = browser(app, HOME)
    attempt(client, PASSWORD)
    for _ in range(5):
        client.post("/login/code", data={"code": "000000", "csrf_token": csrf_token(client, "/login/code")})
    clock["t"] = T0 + 30
    refused = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(T0 + 30),
                                               "csrf_token": csrf_token(client, "/login/code")})
    assert refused.status_code == 429 and not logged_in(client)
    assert attempt(browser(app, ELSEWHERE), PASSWORD).headers["Location"] == "/login/code"


def test_the_code_must_follow_the_password_within_five_minutes(app, secretary, db, clock):
    client = log_in(browser(app), "wang", PASSWORD)
    secret = enrol(client, db, secretary, T0)
    client = browser(app)
    attempt(client, PASSWORD)
    with client.session_transaction() as stored:
        stored[sessions.PENDING] = {**stored[sessions.PENDING], "at": stored[sessions.PENDING]["at"] - 301}
    clock["t"] = T0 + 30
    late = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(T0 + 30),
                                            "csrf_token": csrf_token(client, "/login")})
    assert late.status_code == 302 and late.headers["Location"] == "/login" and not logged_in(client)


def test_administrator_resets_totp(app, secretary, staff_client, db, clock):
    client = log_in(browser(app), "wang", PASSWORD)
    enrol(client, db, secretary, T0)
    admin = staff_client("admin")
    response = admin.post("/admin/staff/action/", data={"action": "reset_totp", "rowid": [str(secretary.id)],
                                                        "csrf_token": csrf_token(admin, "/admin/staff/")})
    assert response.status_code == 302 and not logged_in(client)
    db.session.expire_all()
    assert db.session.get(Staff, secretary.id).totp_secret is None
    assert attempt(browser(app), PASSWORD).headers["Location"] == "/admin/"


def test_mandatory_totp_sends_the_staffer_to_enrolment(app, secretary, db, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_TOTP_REQUIRED", ["sensitive"])
    plain = browser(app)
    assert attempt(plain, PASSWORD).headers["Location"] == "/admin/"  # wang may not see full numbers
    secretary.can_see_sensitive = True
    db.session.commit()
    client = browser(app)
    assert attempt(client, PASSWORD).headers["Location"] == "/totp"
    blocked = client.get("/admin/member/")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/totp"
    assert "须启用两步验证" in client.get("/totp").get_data(as_text=True)
    enrol(client, db, secretary, T0)
    assert client.get("/admin/member/").status_code == 200


def test_mandatory_totp_by_role(app, staff_client, db, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_TOTP_REQUIRED", ["admin"])
    admin = staff_client("admin")
    assert admin.get("/admin/").headers["Location"] == "/totp"
    org = Organization(kind="community", name="和平社区党委", code="C1")
    db.session.add(org)
    db.session.commit()
    assert staff_client("community", org, sensitive=True).get("/admin/").status_code == 200


def test_totp_setting_is_checked_at_start_up():
    totp.check_setting(["all", "sensitive", "admin", "street"])
    with pytest.raises(ValueError, match="WUGUAN_TOTP_REQUIRED: unknown everyone"):
        totp.check_setting(["everyone"])


def test_totp_required_for_sensitive_accounts_includes_administrators():
    from types import SimpleNamespace
    from core.admin import totp
    admin = SimpleNamespace(role="admin", can_see_sensitive=False)
    plain = SimpleNamespace(role="community", can_see_sensitive=False)
    assert totp.required(admin, {"sensitive"}) and not totp.required(plain, {"sensitive"})
