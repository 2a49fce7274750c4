"""A sixth mode as a third party would write it: students (学生党员), with one table of its own."""
from pathlib import Path

from core.plugin_api import Mode, db, hookimpl


class SampleNote(db.Model):
    __tablename__ = "sample_note"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.ForeignKey("member.id"), index=True, nullable=False)
    text = db.Column(db.String(200), nullable=False)


@hookimpl
def wuguan_modes():
    return [Mode(key="sample", title="学生管", categories={"student": "在校学生党员"},
                 activity_kinds={"study_group": "读书会"})]


@hookimpl
def wuguan_settings():
    return {"visit_every_days": 90}


@hookimpl
def wuguan_migrations():
    return Path(__file__).parent / "migrations" / "versions"
