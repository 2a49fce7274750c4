"""The outbox: every reminder or bulletin mail decided, then delivered by workers.

A row is unique on (rule_code, dedup_key), so deciding twice never sends twice; it is
claimed (a conditional UPDATE) before it is handed to a channel, so a retry or a
redelivered task never sends it twice either. The inbox is the in-app channel's store.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..privacy import sensitive
from .base import utcnow

STATES = {"pending": _l("待发送"), "sending": _l("发送中"), "sent": _l("已发送"), "dead": _l("发送失败")}


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("rule_code", "dedup_key", name="uq_outbox_rule_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_code: Mapped[str] = mapped_column(String(80), index=True)
    dedup_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, info=sensitive("text"))  # may quote a member's phone
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    not_before: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    history: Mapped[list] = mapped_column(JSON, default=list)

    org = relationship("Organization")
    bulletin = relationship("Bulletin")

    @property
    def state_title(self):
        return STATES.get(self.state, self.state)


Index("ix_outbox_state_not_before", OutboxMessage.state, OutboxMessage.not_before)


class InboxItem(db.Model):
    """A message in a staffer's in-app inbox; one per outbox row, so a repeat cannot show twice."""
    __tablename__ = "inbox_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), unique=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, info=sensitive("text"))  # may quote a member's phone
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    staff = relationship("Staff")
