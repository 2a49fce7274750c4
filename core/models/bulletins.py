"""通报: one compiled bulletin per (scope, kind, period, version).

Version 1 of a (scope, kind, period) is inserted before compiling, so the unique key
is the claim: a second beat or a redelivered task finds it taken. A compile that
died leaves the row `compiling` with an old `claimed_at`, and is taken up again.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db

KINDS = {"community": _l("社区通报"), "street": _l("街道通报"), "employer": _l("单位通报")}
STATES = {"compiling": _l("编制中"), "compiled": _l("已编制"), "failed": _l("编制失败")}


class Bulletin(db.Model):
    """One compiled 通报 of one scope and period; each recompilation is a new version."""
    __tablename__ = "bulletin"
    __table_args__ = (UniqueConstraint("scope", "kind", "period", "version", name="uq_bulletin_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    scope: Mapped[str] = mapped_column(String(40), doc="whose: `org:<id>` or `unit:<id>`")
    kind: Mapped[str] = mapped_column(String(16), index=True, doc="community, street or employer (see Bulletin kinds)")
    period: Mapped[str] = mapped_column(String(10), index=True, doc="the period: `2026-10`, `2026-Q3` or `2026`")
    version: Mapped[int] = mapped_column(default=1, doc="1, then one more for each recompilation")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True,
                                               doc="the organization, for community and street bulletins")
    work_unit_id: Mapped[int | None] = mapped_column(ForeignKey("work_unit.id"), index=True,
                                                     doc="the employer, for employer bulletins")
    title: Mapped[str] = mapped_column(String(200), default="", doc="the title as printed")
    state: Mapped[str] = mapped_column(String(16), default="compiling", doc="compiling, compiled or failed")
    claim_token: Mapped[str | None] = mapped_column(String(32), doc="the compiling worker's claim")
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when the claim was taken (UTC)")
    compiled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when it was compiled (UTC)")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"),
                                                        doc="the staffer who asked for it, if one did")
    sections: Mapped[list] = mapped_column(JSON, default=list,
                                           doc="the sections as compiled: key, title, summary, figures, columns, rows")
    error: Mapped[str | None] = mapped_column(Text, doc="why compilation failed")
    xlsx: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, doc="the spreadsheet"))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, doc="the PDF"))

    org = relationship("Organization")
    work_unit = relationship("WorkUnit")

    @property
    def kind_title(self):
        return KINDS.get(self.kind, self.kind)
