"""A roster import running on the workers, with the progress staff watch."""
import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

STATES = ("queued", "checking", "checked", "committing", "done", "refused", "failed")


class ImportJob(db.Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True, doc="the row's id")
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True, doc="the staffer who uploaded the file")
    filename: Mapped[str] = mapped_column(String(255), doc="the file's name as uploaded")
    stored_as: Mapped[str] = mapped_column(String(255), doc="where the upload is kept in the instance folder")
    commit: Mapped[bool] = mapped_column(default=False, doc="write when the check passes (else a dry run)")
    state: Mapped[str] = mapped_column(String(16), default="queued",
                                       doc="queued, checking, checked, committing, done, refused or failed")
    total_rows: Mapped[int | None] = mapped_column(doc="rows in the file, once estimated")
    done_rows: Mapped[int] = mapped_column(default=0, doc="rows read so far")
    counts: Mapped[dict] = mapped_column(JSON, default=dict, doc="what the import did or would do, by kind")
    errors: Mapped[list] = mapped_column(JSON, default=list, doc="the rows' errors")
    message: Mapped[str | None] = mapped_column(String(500), doc="why the file was refused or the job failed")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, doc="when the file was uploaded (UTC)")
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, doc="when the job ended (UTC)")
