"""The audit log: who changed which record, when, and the fields before and after."""
import datetime as dt

from sqlalchemy import JSON, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True, doc="when (UTC)")
    actor_id: Mapped[int | None] = mapped_column(doc="the staffer's id; empty for workers and commands")
    actor: Mapped[str] = mapped_column(String(80), doc="who wrote: a username, or the worker or command")
    table_name: Mapped[str] = mapped_column(String(64), doc="the table written")
    record_id: Mapped[str | None] = mapped_column(String(64), doc="the row's primary key")
    action: Mapped[str] = mapped_column(String(16), doc="insert, update or delete")
    before: Mapped[dict | None] = mapped_column(JSON, doc="the values before (sensitive ones as fingerprints)")
    after: Mapped[dict | None] = mapped_column(JSON, doc="the values after (sensitive ones as fingerprints)")
    note: Mapped[str | None] = mapped_column(String(255),
                                             doc="what else the writer said (an export's filter, an import's file)")


Index("ix_audit_log_record", AuditEntry.table_name, AuditEntry.record_id)
