"""Staff users, each scoped to one organization's subtree."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import BigInteger, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import Audited, Timestamps

ROLES = {
    "admin": _l("系统管理员"),
    "street": _l("街道工作人员"),
    "community": _l("社区工作人员"),
    "branch": _l("支部书记"),
    "readonly": _l("只读"),
}


class Staff(UserMixin, Audited, Timestamps, db.Model):
    __tablename__ = "staff"
    # Secrets never reach the audit log; nor does the session version, bumped at every log-out.
    __audit_exclude__ = ("created_at", "updated_at", "password_hash", "last_login_at", "session_version",
                         "totp_secret", "totp_last_step")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    can_see_sensitive: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Part of every session's id: raising it ends every session of the account at once.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Log-in failures before this moment no longer count (an administrator unlocked the account).
    unlocked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # TOTP second factor: the secret while enrolling, confirmed once the staffer typed a code from it;
    # the last time step accepted, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    org = relationship("Organization")

    def __str__(self):
        return self.display_name

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        """The session's id names the account and its session version, so a raised version ends it."""
        return f"{self.id}.{self.session_version}"

    @property
    def totp_enrolled(self):
        return self.totp_confirmed_at is not None

    def end_sessions(self):
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class LoginAttempt(db.Model):
    """Each log-in attempt, so failures can be throttled per account and per address across processes."""
    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str] = mapped_column(String(60), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(default=False)
