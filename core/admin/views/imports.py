"""Upload a roster, see what it would do (dry run), then commit it: all rows or none.

`ImportView` is also the base of other importers' screens (双管's employer lists): they override
the methods between the markers and get the same upload, dry run, commit and error report.
"""
import json
from pathlib import Path
import secrets

from flask import Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ... import audit, dispatch, roster
from ...extensions import db
from ...models import ImportJob
from ..scoped import WRITE_ROLES, StaffOnly


class UploadForm(FlaskForm):
    """The upload form of an import screen; subclass it to ask for more than the file."""
    file = FileField(_l("名册文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件"))])


class ImportView(StaffOnly, BaseView):
    """An import screen: upload, dry run, commit (all rows or none), error report.

    An importer overrides the methods between the markers below and keeps the rest."""
    form_class = UploadForm
    # Files larger than IMPORT_BACKGROUND_BYTES go to the workers as an ImportJob (member rosters only).
    background = True

    # -- what an importer overrides ------------------------------------------------------------
    def options(self, form):
        """What the upload form says besides the file, kept with the upload for the commit."""
        return {}

    def check(self, data, name, options):
        return roster.validate(data, name, current_user)

    def write(self, data, name, options):
        return roster.commit(data, name, current_user)

    def error_report(self, data, name, report):
        return roster.error_report_xlsx(data, name, report)

    def template_file(self):
        return roster.template_xlsx(), "党员名册模板.xlsx"

    def after_commit(self):
        return url_for("member.index_view")
    # ------------------------------------------------------------------------------------------

    def is_accessible(self):
        return super().is_accessible() and current_user.role in WRITE_ROLES

    def _upload(self, token):
        """The staffer's own uploaded file; another staffer's token is a 404."""
        if not token.isalnum():
            abort(404)
        path = roster.upload_folder() / f"{current_user.id}-{token}"
        if not path.exists():
            abort(404)
        about = path.with_suffix(".json")
        about = json.loads(about.read_text(encoding="utf-8")) if about.exists() else {}
        return path.read_bytes(), about.get("filename", "roster"), about.get("options", {})

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = self.form_class()
        report = token = None
        if form.validate_on_submit():
            data = form.file.data.read()
            name = Path(form.file.data.filename or "roster").name
            options = self.options(form)
            token = secrets.token_hex(12)
            path = roster.upload_folder() / f"{current_user.id}-{token}"
            if self.background and len(data) > current_app.config.get("IMPORT_BACKGROUND_BYTES", 512 * 1024):
                path.write_bytes(data)
                return redirect(url_for(".job", job_id=self._start_job(path, name).id))
            try:
                report = self.check(data, name, options)
            except roster.ImportRefused as exc:
                form.file.errors = [str(exc)]
            else:
                path.write_bytes(data)
                path.with_suffix(".json").write_text(json.dumps({"filename": name, "options": options}),
                                                     encoding="utf-8")
        return self.render("admin/import.html", form=form, report=report, token=token)

    # -- large files: on the workers, with a progress bar -------------------------------------
    def _start_job(self, path, name):
        job = ImportJob(staff_id=current_user.id, filename=name, stored_as=str(path))
        db.session.add(job)
        db.session.commit()
        self._dispatch(job)
        return job

    def _dispatch(self, job):
        if not dispatch.nudge("wuguan.import_roster", job.id):
            flash(_("任务队列暂不可用，已在本进程处理"), "info")
            roster.run_job(job.id)

    def _job(self, job_id):
        job = db.session.get(ImportJob, job_id)
        if job is None or job.staff_id != current_user.id:
            abort(404)
        return job

    @expose("/job/<int:job_id>")
    def job(self, job_id):
        return self.render("admin/import_job.html", job=self._job(job_id))

    @expose("/job/<int:job_id>.json")
    def job_status(self, job_id):
        job = self._job(job_id)
        return jsonify(state=job.state, done=job.done_rows, total=job.total_rows, counts=job.counts,
                       message=job.message)

    @expose("/job/<int:job_id>/commit", methods=("POST",))
    def job_commit(self, job_id):
        from flask_wtf.csrf import validate_csrf
        validate_csrf(request.form.get("csrf_token"))
        job = self._job(job_id)
        if job.state != "checked" or job.errors:
            abort(409)
        job.commit, job.done_rows = True, 0
        db.session.commit()
        self._dispatch(job)
        return redirect(url_for(".job", job_id=job.id))

    @expose("/commit/<token>", methods=("POST",))
    def commit(self, token):
        from flask_wtf.csrf import validate_csrf
        validate_csrf(request.form.get("csrf_token"))
        data, name, options = self._upload(token)
        with audit.acting_as(current_user.username, current_user.id):
            report = self.write(data, name, options)
        if report.committed:
            roster.discard_upload(roster.upload_folder() / f"{current_user.id}-{token}")
            flash(_("已导入。%(s)s", s=report.summary()), "success")
            return redirect(self.after_commit())
        flash(_("数据已变化，校验未通过，未导入任何数据"), "error")
        return self.render("admin/import.html", form=self.form_class(), report=report, token=token)

    @expose("/errors/<token>")
    def errors(self, token):
        data, name, options = self._upload(token)
        report = self.check(data, name, options)
        return _xlsx(self.error_report(data, name, report), f"错误报告-{name.rsplit('.', 1)[0]}.xlsx")

    @expose("/template")
    def template(self):
        return _xlsx(*self.template_file())


def _xlsx(body, filename):
    from urllib.parse import quote
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
