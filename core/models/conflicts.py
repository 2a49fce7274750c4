"""Identity conflicts: a 身份证 asked for in one organization that belongs to a member held by another.

The asker is told only that the number cannot be registered there; the case itself is
resolved by the staff of the lowest organization above both (`ancestor`), who see both sides.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..privacy import sensitive
from .base import Audited, Timestamps

SOURCES = {"roster": _l("导入名册"), "member_form": _l("新增党员"), "dual_import": _l("导入单位名单"),
           "dual_signup": _l("自助报到审核")}
STATES = {"open": _l("待处理"), "merged": _l("已合并"), "transferred": _l("已转接"), "rejected": _l("已驳回")}


class IdentityConflict(Audited, Timestamps, db.Model):
    __tablename__ = "identity_conflict"
    __audit_exclude__ = ("created_at", "updated_at", "id_number")  # the member's id says who; the log keeps no number

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True, doc="the member on record who holds the 身份证")
    id_number: Mapped[str] = mapped_column(String(18), info=sensitive("id_number"), doc="the 身份证 asked about; sensitive")
    name: Mapped[str | None] = mapped_column(String(60), doc="the name the asker gave, which may differ")
    asker_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True, doc="the organization whose staffer asked")
    ancestor_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True, doc="the lowest organization above both sides: its staff decide")
    source: Mapped[str] = mapped_column(String(32), doc="where the question came from: roster, member_form, dual_import, dual_signup (see Conflict sources)")
    state: Mapped[str] = mapped_column(String(16), default="open", index=True, doc="open, merged, transferred or rejected (see Conflict states)")
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), doc="the staffer who asked")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), doc="the staffer who decided")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when it was decided (UTC)")
    note: Mapped[str | None] = mapped_column(String(255), doc="the decider's note")
    member = relationship("Member")
    asker_org = relationship("Organization", foreign_keys=[asker_org_id])
    ancestor = relationship("Organization", foreign_keys=[ancestor_id])
    asked_by = relationship("Staff", foreign_keys=[asked_by_id])
    resolved_by = relationship("Staff", foreign_keys=[resolved_by_id])

    def __str__(self):
        return f"{self.member.name if self.member else ''} ← {self.asker_org.name if self.asker_org else ''}"
