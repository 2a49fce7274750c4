"""Findings of the check sweep and the record of each sweep run.

A finding is one (check, subject) pair, kept for good: when it vanishes it is
resolved, when it comes back the same row opens again, so it never duplicates and
its history stays in one place. `org_id` lets the admin scope it by subtree.
`plugin` names the plugin whose check found it: when that plugin is disabled or removed
its live findings become `orphaned`, out of dashboards and bulletins, until an
administrator closes them or the plugin returns.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Audited, utcnow

STATES = {"open": _l("待处理"), "acknowledged": _l("已知悉"), "waived": _l("已豁免"), "resolved": _l("已解决"),
          "orphaned": _l("所属插件已停用")}
LIVE_STATES = ("open", "acknowledged", "waived")


class Finding(Audited, db.Model):
    """What a check found about one subject, kept open until a sweep no longer finds it; staff may acknowledge or waive it."""
    __tablename__ = "finding"
    __table_args__ = (UniqueConstraint("check_code", "subject_type", "subject_id",
                                       name="uq_finding_check_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    check_code: Mapped[str] = mapped_column(String(80), index=True, doc="the check that found it (`dual.unregistered`)")
    plugin: Mapped[str] = mapped_column(String(64), default="core", server_default="core", doc="the plugin whose check found it (core for core's); orphaned when that plugin is gone")
    severity: Mapped[str] = mapped_column(String(16), index=True, doc="the check's severity")
    subject_type: Mapped[str] = mapped_column(String(32), default="member",
                                              doc="what `subject_id` is: member, transfer, or the check's own subject")
    subject_id: Mapped[int] = mapped_column(BigInteger, doc="the row found (a member's id for member checks)")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                               doc="the organization whose staff handle it")
    detail: Mapped[str] = mapped_column(String(500), default="", doc="the check's one-line explanation")
    state: Mapped[str] = mapped_column(String(16), default="open", index=True,
                                       doc="open, acknowledged, waived or resolved")
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, doc="when a sweep first found it (UTC)")
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, doc="when a sweep last found it (UTC)")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when a sweep no longer found it (UTC)")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"),
                                                      doc="the staffer who acknowledged or waived it")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when (UTC)")
    reason: Mapped[str | None] = mapped_column(Text, doc="the staffer's reason")

    org = relationship("Organization")
    decided_by = relationship("Staff")

    @property
    def state_title(self):
        return STATES.get(self.state, self.state)


Index("ix_finding_check_state", Finding.check_code, Finding.state)
Index("ix_finding_plugin_state", Finding.plugin, Finding.state)


class FindingHit(db.Model):
    """A check's rows for one run, staged so reconciliation reads them once per statement."""
    __tablename__ = "finding_hit"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    run_id: Mapped[int] = mapped_column(Integer, doc="the sweep run that staged it")
    check_code: Mapped[str] = mapped_column(String(80), doc="the check")
    subject_id: Mapped[int] = mapped_column(BigInteger, doc="the row found")
    org_id: Mapped[int | None] = mapped_column(Integer, doc="its organization")
    detail: Mapped[str] = mapped_column(String(500), default="", doc="the check's explanation")


Index("ix_finding_hit_run_check", FindingHit.run_id, FindingHit.check_code, FindingHit.subject_id)


RUN_STATES = {"running": _l("运行中"), "succeeded": _l("完成"), "partial": _l("部分检查失败"),
              "failed": _l("失败")}


class SweepRun(db.Model):
    """One sweep: the city's (parent) or one community's; `stats` holds per-check counts and timings."""
    __tablename__ = "sweep_run"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sweep_run.id"), index=True,
                                                  doc="the city-wide run this part belongs to")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                               doc="the organization swept (a part's)")
    scope: Mapped[str] = mapped_column(String(32), default="city", doc="what was swept: city or `org:<id>`")
    trigger: Mapped[str] = mapped_column(String(32), default="schedule", doc="schedule, manual or cli")
    state: Mapped[str] = mapped_column(String(16), default="running", index=True,
                                       doc="running, succeeded, partial or failed")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True, doc="when it started (UTC)")
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when it ended (UTC)")
    stats: Mapped[dict] = mapped_column(JSON, default=dict, doc="per check: rows found, opened, resolved, seconds")
    failures: Mapped[int] = mapped_column(default=0, doc="checks that raised")

    org = relationship("Organization")
    parent = relationship("SweepRun", remote_side=[id])
