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
    """A staffer who logs in, scoped to the subtree of her organization."""
    __tablename__ = "staff"
    # Secrets never reach the audit log; nor does the session version, bumped at every log-out.
    __audit_exclude__ = ("created_at", "updated_at", "password_hash", "last_login_at", "session_version",
                         "totp_secret", "totp_last_step")

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    username: Mapped[str] = mapped_column(String(60), unique=True, doc="the login name")
    password_hash: Mapped[str] = mapped_column(String(255), doc="the password's hash")
    display_name: Mapped[str] = mapped_column(String(60), doc="the name shown")
    role: Mapped[str] = mapped_column(String(16), doc="admin, street, community, branch or readonly (see Staff roles)")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                               doc="the organization whose subtree the staffer manages")
    can_see_sensitive: Mapped[bool] = mapped_column(default=False, doc="may see 身份证, phones and addresses in full")
    active: Mapped[bool] = mapped_column(default=True, doc="may log in")
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="the last log-in (UTC)")
    # Part of every session's id: raising it ends every session of the account at once.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1", doc="part of every session's id: raising it ends every session of the account")
    unlocked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="log-in failures before this moment no longer count (an administrator unlocked the account)")
    # the last time step accepted, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), doc="the TOTP second factor's secret; never shown or logged")
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when the staffer confirmed the TOTP enrolment with a code (UTC)")
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, doc="the last TOTP time step accepted, so no code is accepted twice")
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

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True, doc="when (UTC)")
    username: Mapped[str] = mapped_column(String(60), index=True, doc="the username tried")
    address: Mapped[str] = mapped_column(String(64), index=True, doc="the client's address")
    success: Mapped[bool] = mapped_column(default=False, doc="whether it logged in")
