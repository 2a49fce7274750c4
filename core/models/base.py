"""Mixins shared by core's and the plugins' models."""
import datetime as dt

from sqlalchemy import DateTime, func
from sqlalchemy.orm import Mapped, mapped_column


def utcnow():
    """Now, as the naive UTC datetime every DateTime column holds."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Timestamps:
    """Adds created_at and updated_at (UTC), kept by the ORM and the database."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now(),
                                                    doc="when the row was created (UTC)")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow,
                                                    server_default=func.now(), doc="when the row last changed (UTC)")


class Audited:
    """Every insert, update and delete of a model with this mixin lands in the audit log (core.audit)."""

    __audit_exclude__ = ("created_at", "updated_at")
