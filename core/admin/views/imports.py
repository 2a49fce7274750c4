"""Upload a roster, see what it would do (dry run), then commit it: all rows or none."""
from pathlib import Path
import secrets

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ... import audit, roster
from ..scoped import WRITE_ROLES, StaffOnly


class UploadForm(FlaskForm):
    file = FileField(_l("名册文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件"))])


class ImportView(StaffOnly, BaseView):
    def is_accessible(self):
        return super().is_accessible() and current_user.role in WRITE_ROLES

    def _folder(self):
        folder = Path(current_app.instance_path) / "imports"
        folder.mkdir(exist_ok=True)
        return folder

    def _upload(self, token):
        """The staffer's own uploaded file; another staffer's token is a 404."""
        if not token.isalnum():
            abort(404)
        path = self._folder() / f"{current_user.id}-{token}"
        if not path.exists():
            abort(404)
        return path.read_bytes(), (path.with_suffix(".name").read_text(encoding="utf-8")
                                   if path.with_suffix(".name").exists() else "roster")

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = UploadForm()
        report = token = None
        if form.validate_on_submit():
            data = form.file.data.read()
            name = Path(form.file.data.filename or "roster").name
            try:
                report = roster.validate(data, name, current_user)
            except roster.ImportRefused as exc:
                form.file.errors = [str(exc)]
            else:
                token = secrets.token_hex(12)
                path = self._folder() / f"{current_user.id}-{token}"
                path.write_bytes(data)
                path.with_suffix(".name").write_text(name, encoding="utf-8")
        return self.render("admin/import.html", form=form, report=report, token=token)

    @expose("/commit/<token>", methods=("POST",))
    def commit(self, token):
        from flask_wtf.csrf import validate_csrf
        validate_csrf(request.form.get("csrf_token"))
        data, name = self._upload(token)
        with audit.acting_as(current_user.username, current_user.id):
            report = roster.commit(data, name, current_user)
        if report.committed:
            counts = report.counts()
            flash(_("已导入：新增 %(c)d，更新 %(u)d，不变 %(n)d", c=counts["created"], u=counts["updated"],
                    n=counts["unchanged"]), "success")
            return redirect(url_for("member.index_view"))
        flash(_("数据已变化，校验未通过，未导入任何数据"), "error")
        return self.render("admin/import.html", form=UploadForm(), report=report, token=token)

    @expose("/errors/<token>")
    def errors(self, token):
        data, name = self._upload(token)
        report = roster.validate(data, name, current_user)
        return _xlsx(roster.error_report_xlsx(report), f"错误报告-{name.rsplit('.', 1)[0]}.xlsx")

    @expose("/template")
    def template(self):
        return _xlsx(roster.template_xlsx(), "党员名册模板.xlsx")


def _xlsx(body, filename):
    from urllib.parse import quote
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
