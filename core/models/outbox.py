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
    """A message to deliver through a channel; unique on (rule_code, dedup_key), so nothing is sent twice."""
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("rule_code", "dedup_key", name="uq_outbox_rule_code"),)

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    rule_code: Mapped[str] = mapped_column(String(80), index=True,
                                           doc="the reminder rule (or core's message kind) that made it")
    dedup_key: Mapped[str] = mapped_column(String(200), doc="unique with `rule_code`: no reminder is sent twice")
    channel: Mapped[str] = mapped_column(String(32), doc="the channel that delivers it (email, inbox, or a plugin's)")
    recipient: Mapped[str] = mapped_column(String(200), doc="the address, in the channel's terms")
    subject: Mapped[str] = mapped_column(String(255), doc="the subject", info=sensitive("text"))
    body: Mapped[str] = mapped_column(Text, doc="the body", info=sensitive("text"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                               doc="the organization it concerns")
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletin.id"), doc="the bulletin attached, if any")
    state: Mapped[str] = mapped_column(String(16), default="pending",
                                       doc="pending, sending, sent or dead (see Outbox states)")
    attempts: Mapped[int] = mapped_column(default=0, doc="delivery attempts so far")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, doc="when it was decided (UTC)")
    not_before: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow,
                                                    doc="not sent before this moment (UTC; the sending window)")
    claim_token: Mapped[str | None] = mapped_column(String(32), doc="the delivering worker's claim")
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when the claim was taken (UTC)")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when it was sent (UTC)")
    last_error: Mapped[str | None] = mapped_column(Text, doc="the last delivery error")
    history: Mapped[list] = mapped_column(JSON, default=list, doc="every attempt: when and what happened")

    org = relationship("Organization")
    bulletin = relationship("Bulletin")

    @property
    def state_title(self):
        return STATES.get(self.state, self.state)


Index("ix_outbox_state_not_before", OutboxMessage.state, OutboxMessage.not_before)


class InboxItem(db.Model):
    """A message in a staffer's in-app inbox; one per outbox row, so a repeat cannot show twice."""
    __tablename__ = "inbox_item"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True, doc="the staffer it is for")
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), unique=True,
                                           doc="the outbox message delivered here")
    subject: Mapped[str] = mapped_column(String(255), doc="the subject", info=sensitive("text"))
    body: Mapped[str] = mapped_column(Text, doc="the body", info=sensitive("text"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, doc="when it arrived (UTC)")
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when the staffer opened it (UTC)")

    staff = relationship("Staff")
