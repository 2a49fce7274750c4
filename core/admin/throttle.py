"""Log-in throttling, keyed so that nobody can lock anyone else out.

Failures are counted per (account, address): after `WUGUAN_LOGIN_MAX_FAILURES` of them that
address may not try that account for `WUGUAN_LOGIN_LOCK_MINUTES`, doubling with each further
failure (up to a day). The account as a whole only slows down: after twice as many failures from
anywhere, each attempt waits a few seconds after the last failure, doubling up to a minute, so
guessing from many addresses stays slow while the owner, from her own address, still gets in.
Colleagues behind one office NAT address share only the pairs of their own accounts: one person's
mistakes lock nobody else out. A success resets its pair (and the account's delay); an administrator's unlock resets
the account. Counts are keyed by the name typed, whether or not such an account exists, and the
attempts live in the database, so every web process sees the same counts.
"""
import datetime as dt
import math

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..extensions import db
from ..models import LoginAttempt, Staff
from ..models.base import utcnow

WINDOW = dt.timedelta(hours=24)
LONGEST_LOCK = dt.timedelta(hours=24)
LONGEST_DELAY = dt.timedelta(seconds=60)


def client_address():
    return (request.remote_addr or "unknown")[:64]


def _failures(since, *where):
    """(number of failures, time of the last) since `since` and since the last success matching `where`."""
    last_success = db.session.scalar(select(func.max(LoginAttempt.at)).where(
        *where, LoginAttempt.success.is_(True), LoginAttempt.at >= since))
    failed = [*where, LoginAttempt.success.is_(False), LoginAttempt.at >= since]
    if last_success is not None:
        failed.append(LoginAttempt.at > last_success)
    return db.session.execute(select(func.count(), func.max(LoginAttempt.at)).where(*failed)).one()


def refusal(username, address):
    """A message in Chinese when this attempt must be refused before its password is looked at, else None."""
    cfg, now = current_app.config, utcnow()
    since = now - WINDOW
    unlocked = db.session.scalar(select(Staff.unlocked_at).where(Staff.username == username))
    if unlocked is not None and unlocked > since:
        since = unlocked
    limit = cfg["WUGUAN_LOGIN_MAX_FAILURES"]
    count, last = _failures(since, LoginAttempt.username == username, LoginAttempt.address == address)
    if count >= limit:
        lock = min(dt.timedelta(minutes=cfg["WUGUAN_LOGIN_LOCK_MINUTES"]) * 2 ** (count - limit), LONGEST_LOCK)
        if now < last + lock:
            minutes = math.ceil((last + lock - now).total_seconds() / 60)
            return _("登录失败次数过多，请 %(minutes)s 分钟后再试", minutes=minutes)
    count, last = _failures(since, LoginAttempt.username == username)
    if count >= 2 * limit:
        delay = min(dt.timedelta(seconds=2 ** (count - 2 * limit)), LONGEST_DELAY)
        if now < last + delay:
            seconds = math.ceil((last + delay - now).total_seconds())
            return _("登录尝试过于频繁，请 %(seconds)s 秒后再试", seconds=seconds)
    return None


def record(username, address, success):
    """Keep the attempt; the caller commits."""
    db.session.execute(insert(LoginAttempt).values(at=utcnow(), username=username[:60], address=address,
                                                   success=success))
