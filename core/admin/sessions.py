"""Who a request belongs to, decided in one place: the user loader.

A session names the account and its session version (`Staff.get_id`), and carries when it began
and when it was last used, in the signed cookie. It is refused once the account's version moved
on (log-out, a password change, an administrator's reset or deactivation, enrolling TOTP: every
copy of the cookie, wherever it was captured, dies at once), once it was idle longer than
`WUGUAN_SESSION_IDLE`, or once it is older than `WUGUAN_SESSION_MAX`. A session without those
stamps (Flask-Login's remember cookie, a cookie from before this rule) is refused too.
"""
import time

from flask import current_app, session
from flask_login import login_user, logout_user

from ..extensions import db, login_manager

BEGAN, SEEN = "_began_at", "_seen_at"
PENDING = "_pending_login"  # the password was right; the TOTP code is still to come
# What a session holds besides the staffer's own choices (the language): forgotten when refused.
AUTH_KEYS = ("_user_id", "_fresh", "_id", "_remember", BEGAN, SEEN, PENDING)


def _now():
    return time.time()


def _forget(*more):
    for key in (*AUTH_KEYS, *more):
        session.pop(key, None)


def start(staff):
    """Log `staff` in on this browser, with a fresh session: nothing carried over from before log-in,
    not even the CSRF token (every caller redirects next, and the next page makes a new one)."""
    _forget("csrf_token")
    login_user(staff)
    session.permanent = True
    session[BEGAN] = session[SEEN] = _now()


def end_all(staff):
    """End every session of `staff`, this browser's included; the caller commits."""
    staff.end_sessions()


def keep_current(staff):
    """`staff` ended her own sessions (a new password, TOTP enrolled): keep this browser logged in,
    its absolute lifetime still counting from the log-in, if it is hers and was stamped with the old version."""
    if session.get("_user_id") in (None, staff.get_id()) or session["_user_id"].split(".")[0] != str(staff.id):
        return
    began = session.get(BEGAN)
    start(staff)
    if began is not None:
        session[BEGAN] = began


def restart(staff):
    """End the account's other sessions but keep this browser logged in; the caller commits."""
    staff.end_sessions()
    keep_current(staff)


def log_out(staff):
    if staff is not None:
        end_all(staff)
        db.session.commit()
    logout_user()
    _forget("csrf_token")


@login_manager.user_loader
def load(session_id):
    from ..models import Staff
    try:
        staff_id, version = (int(part) for part in session_id.split("."))
    except (AttributeError, ValueError):
        return None
    began, seen, now = session.get(BEGAN), session.get(SEEN), _now()
    cfg = current_app.config
    if began is None or seen is None or now - seen > cfg["WUGUAN_SESSION_IDLE"].total_seconds() \
            or now - began > cfg["WUGUAN_SESSION_MAX"].total_seconds():
        _forget()
        return None
    staff = db.session.get(Staff, staff_id)
    if staff is None or staff.session_version != version or not staff.active:
        _forget()
        return None
    session[SEEN] = now
    return staff
