"""Activities (三会一课, 主题党日, ...) and who attended: the record of organizational life."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Audited, Timestamps

# Core's kinds; modes add theirs through `Mode.activity_kinds`.
KINDS = {
    "branch_committee": _l("支委会"),
    "party_group_meeting": _l("党小组会"),
    "general_meeting": _l("党员大会"),
    "party_lecture": _l("党课"),
    "theme_day": _l("主题党日"),
    "life_meeting": _l("组织生活会"),
    "democratic_review": _l("民主评议"),
}


class Activity(Audited, Timestamps, db.Model):
    """A meeting or activity of an organization (三会一课, 主题党日, 民主评议, or a mode's own kind), with its attendance."""
    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True, doc="the organization that held it")
    kind: Mapped[str] = mapped_column(String(32), index=True, doc="what it was (see Activity kinds; modes add theirs)")
    held_on: Mapped[dt.date] = mapped_column(Date, index=True, doc="the day it was held")
    topic: Mapped[str] = mapped_column(String(200), doc="its subject")
    notes: Mapped[str | None] = mapped_column(Text, doc="free notes")

    org = relationship("Organization")
    attendance = relationship("Attendance", back_populates="activity", cascade="all, delete-orphan")


class Attendance(Audited, db.Model):
    """One member expected at one activity: present, or absent with a reason."""
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("activity_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True,
                                             doc="the activity")
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True, doc="the member expected")
    present: Mapped[bool] = mapped_column(default=True, doc="whether the member came")
    absence_reason: Mapped[str | None] = mapped_column(String(200), doc="why not, when absent")

    activity = relationship("Activity", back_populates="attendance")
    member = relationship("Member")
