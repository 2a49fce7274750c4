"""A sixth mode as a third party would write it: students (学生党员), with a table, a screen and a panel."""
from pathlib import Path

from core.plugin_api import Mode, Panel, ScopedModelView, db, hookimpl


class SampleNote(db.Model):
    __tablename__ = "sample_note"

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.ForeignKey("member.id"), index=True, nullable=False)
    text = db.Column(db.String(200), nullable=False)
    member = db.relationship("Member")


class SampleNoteView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "text"]
    form_columns = ["member", "text"]


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


@hookimpl
def wuguan_admin_views(admin):
    admin.add_view(SampleNoteView(SampleNote, name="学生记录", category="学生管", endpoint="sample_note"))


@hookimpl
def wuguan_member_panels(member):
    notes = SampleNote.query.filter_by(member_id=member.id).order_by(SampleNote.id).all()
    return [Panel(title="学生记录", template="sample/panel.html", context={"notes": notes}, order=10)]
