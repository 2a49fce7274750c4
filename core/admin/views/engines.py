"""Screens for what the workers produce: findings, sweep runs, the outbox, bulletins, the inbox.

The work itself is in core.sweep, core.reminders and core.bulletins; these screens only
show it, scoped like every other, and call those functions for staff decisions.
"""
from flask import Response, abort, flash, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from ... import audit, bulletins, dispatch, periods, privacy, sweep
from ...errors import ValidationError
from ...extensions import db
from ...models.base import utcnow
from ..scoped import ScopedModelView
from .labels import choice_formatter, choice_list
from .organizations import org_options

SEVERITY_TITLES = {"info": _l("提示"), "warning": _l("警告"), "serious": _l("严重"), "critical": _l("紧急")}
FINDING_STATES = {"open": _l("待处理"), "acknowledged": _l("已知悉"), "waived": _l("已豁免"), "resolved": _l("已解决"),
                  "orphaned": _l("所属插件已停用")}
RUN_STATES = {"running": _l("进行中"), "succeeded": _l("完成"), "partial": _l("部分失败"), "failed": _l("失败")}
OUTBOX_STATES = {"pending": _l("待发送"), "sending": _l("发送中"), "sent": _l("已发送"), "dead": _l("发送失败"),
                 "uncertain": _l("待确认")}
BULLETIN_KINDS = {"community": _l("社区通报"), "street": _l("街道通报"), "employer": _l("单位通报")}
BULLETIN_STATES = {"compiling": _l("汇编中"), "compiled": _l("已完成"), "failed": _l("失败")}


class DecisionForm(FlaskForm):
    state = SelectField(_l("处理"), choices=[("acknowledged", _l("已知悉")), ("waived", _l("豁免")),
                                           ("open", _l("重新打开"))])
    reason = TextAreaField(_l("理由（豁免时必填）"))


class CloseForm(FlaskForm):
    reason = TextAreaField(_l("关闭理由"), validators=[DataRequired()])


class FindingView(ScopedModelView):
    """Findings; those of a plugin no longer loaded are listed under its name (filter 插件) for an
    administrator to close."""
    allow_create = allow_edit = allow_delete = False
    can_view_details = False
    column_list = ["severity", "check_code", "plugin", "org", "subject_id", "detail", "state", "first_seen",
                   "last_seen", "reason"]
    column_labels = {"severity": _l("级别"), "check_code": _l("检查项"), "plugin": _l("插件"), "org": _l("党组织"),
                     "subject_id": _l("对象"),
                     "detail": _l("说明"), "state": _l("状态"), "first_seen": _l("首次发现"),
                     "last_seen": _l("最近发现"), "reason": _l("理由")}
    column_sortable_list = ["severity", "check_code", "state", "first_seen", "last_seen"]
    column_default_sort = ("last_seen", True)
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-check", ".decide_view", title=_l("处理"))]

    def __init__(self, model, *args, **kwargs):
        from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
        titles = {item.check.code: str(item.check.title) for item in sweep.registered_checks()}
        self.column_formatters = {
            "severity": choice_formatter(SEVERITY_TITLES), "state": choice_formatter(FINDING_STATES),
            "check_code": lambda v, c, m, n: titles.get(m.check_code, m.check_code),
            "subject_id": self._subject_link,
        }
        self.column_filters = [
            FilterEqual(model.check_code, _l("检查项"), options=sorted(titles.items())),
            FilterEqual(model.severity, _l("级别"), options=choice_list(SEVERITY_TITLES)),
            FilterEqual(model.state, _l("状态"), options=choice_list(FINDING_STATES)),
            FilterEqual(model.plugin, _l("插件"), options=self._plugin_options),
            IntEqualFilter(model.org_id, _l("党组织"), options=org_options("community", "street", "branch")),
        ]
        super().__init__(model, *args, **kwargs)

    def _plugin_options(self):
        """Plugins with findings, loaded or not: a removed plugin's findings are found by its name."""
        from sqlalchemy import select
        if not has_request_context():  # asked once while the view is built, before any database
            return []
        return [(name, name) for name in db.session.scalars(select(self.model.plugin).distinct()
                                                            .order_by(self.model.plugin))]

    @staticmethod
    def _subject_link(view, context, model, name):
        if model.subject_type != "member":
            return f"{model.subject_type} #{model.subject_id}"
        return Markup('<a href="{}">#{}</a>').format(url_for("member.details_view", id=model.subject_id),
                                                    model.subject_id)

    @expose("/decide/", methods=("GET", "POST"))
    def decide_view(self):
        if not self.writable():
            abort(403)
        finding = self.get_one(request.args.get("id"))
        form = DecisionForm(obj=finding if request.method == "GET" else None)
        if form.validate_on_submit():
            try:
                sweep.decide_finding(finding.id, form.state.data, current_user, form.reason.data)
                flash(_("已处理"), "success")
                return redirect(url_for(".index_view"))
            except ValidationError as exc:
                db.session.rollback()
                for field, messages in exc.errors.items():
                    getattr(form, field, form.state).errors = list(messages)
        return self.render("admin/finding_decide.html", finding=finding, form=form)

    @action("close_orphaned", _l("关闭（所属插件已停用）"), _l("确定关闭所选的、所属插件已停用的问题？"))
    def action_close_orphaned(self, ids):
        if current_user.role != "admin":
            abort(403)
        return redirect(url_for(".close_view", ids=",".join(str(i) for i in self.coerce_ids(ids))))

    @expose("/close/", methods=("GET", "POST"))
    def close_view(self):
        """Administrators close, with a reason, findings a disabled or removed plugin left behind."""
        from sqlalchemy import func, select
        if current_user.role != "admin":
            abort(403)
        ids = self.coerce_ids((request.args.get("ids") or "").split(","))
        orphaned = self.get_query().filter(self.model.id.in_(ids), self.model.state == "orphaned")
        form = CloseForm()
        if form.validate_on_submit():
            closed = sweep.close_orphaned([f.id for f in orphaned], current_user, form.reason.data)
            flash(_("已关闭 %(n)d 条", n=closed), "success")
            return redirect(url_for(".index_view"))
        plugins = db.session.execute(select(self.model.plugin, func.count()).where(
            self.model.id.in_(ids), self.model.state == "orphaned").group_by(self.model.plugin)).all()
        return self.render("admin/finding_close.html", plugins=plugins, form=form)

    @action("acknowledge", _l("标记为已知悉"), _l("确定将所选问题标记为已知悉？"))
    def action_acknowledge(self, ids):
        if not self.writable():
            abort(403)
        findings = self.get_query().filter(self.model.id.in_(self.coerce_ids(ids)),
                                           self.model.state == "open").all()
        for finding in findings:
            sweep.decide_finding(finding.id, "acknowledged", current_user)
        flash(_("已标记 %(n)d 条", n=len(findings)), "success")


class SweepRunView(ScopedModelView):
    allow_create = allow_edit = allow_delete = False
    can_export = False
    column_list = ["started_at", "finished_at", "scope", "org", "trigger", "state", "failures"]
    column_details_list = ["started_at", "finished_at", "scope", "org", "trigger", "state", "failures", "stats"]
    column_labels = {"started_at": _l("开始"), "finished_at": _l("结束"), "scope": _l("范围"), "org": _l("党组织"),
                     "trigger": _l("触发"), "state": _l("状态"), "failures": _l("失败的检查"), "stats": _l("各检查项")}
    column_default_sort = ("started_at", True)
    column_formatters = {"state": choice_formatter(RUN_STATES)}
    list_template = "admin/sweep_run_list.html"

    @expose("/run/", methods=("POST",))
    def run_view(self):
        """Administrators start the city sweep on the workers; others sweep their own subtree now."""
        if not self.writable():
            abort(403)
        if current_user.role == "admin":
            sent = dispatch.nudge("wuguan.sweep_city")
            flash(_("已提交全市巡检，稍后刷新查看结果") if sent else _("任务队列暂不可用，请稍后再试"),
                  "info" if sent else "error")
        else:
            run = sweep.run_sweep(sweep.Scope.subtree(current_user.org), trigger="manual")
            flash(_("巡检完成：%(n)d 项检查，%(f)d 项失败", n=len(run.stats), f=run.failures), "success")
        return redirect(url_for(".index_view"))


def masked_recipient(view, context, model, name):
    """A text message's recipient is a member's mobile, a mail's may be their e-mail: masked as on the member's
    page for staff without the right (an organization's mailbox too, since the row does not say whose it is)."""
    return privacy.reveal(model.recipient, {"sms": "phone", "email": "email"}.get(model.channel))


class OutboxView(ScopedModelView):
    allow_create = allow_edit = allow_delete = False
    column_list = ["created_at", "rule_code", "channel", "recipient", "subject", "state", "attempts", "sent_at",
                   "last_error"]
    column_details_list = [*column_list, "body", "history"]
    column_labels = {"created_at": _l("生成时间"), "rule_code": _l("规则"), "channel": _l("渠道"),
                     "recipient": _l("收件人"), "subject": _l("标题"), "state": _l("状态"), "attempts": _l("尝试次数"),
                     "sent_at": _l("发送时间"), "last_error": _l("最近错误"), "body": _l("正文"), "history": _l("记录")}
    column_default_sort = ("created_at", True)
    column_filters = ["state", "channel", "rule_code"]
    # No search: recipients and subjects quote members' mobiles, e-mails and birthdays, and a search by
    # prefix would be an oracle for their hidden part. The filters find rows by rule, channel and state.
    column_sortable_list = ["created_at", "rule_code", "channel", "state", "attempts", "sent_at"]
    column_formatters = {"state": choice_formatter(OUTBOX_STATES), "recipient": masked_recipient}
    column_formatters_export = column_formatters

    @action("resend", _l("重新发送"), _l("确定重新发送所选的失败消息？"))
    def action_resend(self, ids):
        from ... import reminders
        if not self.writable():
            abort(403)
        rows = self.get_query().filter(self.model.id.in_(self.coerce_ids(ids)), self.model.state == "dead").all()
        for row in rows:
            reminders.resend(row.id, current_user)
        reminders.request_delivery([row.id for row in rows])
        flash(_("已重新发送 %(n)d 条", n=len(rows)), "success")


class CompileForm(FlaskForm):
    period = StringField(_l("期间"), validators=[DataRequired()], description=_l("如 2026-10、2026-Q3、2026"))
    recompile = BooleanField(_l("重新汇编（生成新版本）"))


class BulletinView(ScopedModelView):
    allow_create = allow_edit = allow_delete = False
    can_export = False
    column_list = ["title", "kind", "period", "version", "state", "compiled_at"]
    column_labels = {"title": _l("标题"), "kind": _l("类型"), "period": _l("期间"), "version": _l("版本"),
                     "state": _l("状态"), "compiled_at": _l("汇编时间")}
    column_default_sort = ("compiled_at", True)
    column_filters = ["kind", "period", "state"]
    column_formatters = {"kind": choice_formatter(BULLETIN_KINDS), "state": choice_formatter(BULLETIN_STATES)}
    list_template = "admin/bulletin_list.html"

    @expose("/details/")
    def details_view(self):
        bulletin = self.get_one(request.args.get("id"))
        return self.render("admin/bulletin_details.html", bulletin=bulletin,
                           html=Markup(bulletins.render_html(bulletin)))

    @expose("/download/<int:bulletin_id>/<fmt>")
    def download_view(self, bulletin_id, fmt):
        bulletin = self.get_one(bulletin_id)
        if fmt not in ("pdf", "xlsx") or bulletin.state != "compiled":
            abort(404)
        body = bulletin.pdf if fmt == "pdf" else bulletin.xlsx
        audit.record(db.session, "bulletin", "export", f"{fmt} {bulletin.title}"[:255])
        db.session.commit()
        from urllib.parse import quote
        mimetype = "application/pdf" if fmt == "pdf" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(bulletin.title + '.' + fmt)}"})

    @expose("/compile/", methods=("GET", "POST"))
    def compile_view(self):
        """A bulletin of the staffer's own community or street, compiled on the workers."""
        if not self.writable() or current_user.org is None or current_user.org.kind not in ("community", "street"):
            abort(403)
        form = CompileForm()
        if form.validate_on_submit():
            try:
                label = periods.parse(form.period.data).label
            except ValidationError as exc:
                form.period.errors = exc.errors["period"]
                return self.render("admin/bulletin_compile.html", form=form), 400
            else:
                kind = current_user.org.kind
                scope = f"org:{current_user.org.id}"
                if form.recompile.data:
                    result = bulletins.compile_bulletin(kind, scope, label, recompile=True, staff=current_user)
                    flash(_("已生成新版本") if result.state == "compiled" else _("汇编失败"),
                          "success" if result.state == "compiled" else "error")
                else:
                    sent = dispatch.nudge("wuguan.compile_bulletin", kind, scope, label)
                    flash(_("已提交汇编，稍后刷新查看") if sent else _("任务队列暂不可用，请稍后再试"),
                          "info" if sent else "error")
                return redirect(url_for(".index_view"))
        return self.render("admin/bulletin_compile.html", form=form)


class InboxView(ScopedModelView):
    """The staffer's own in-app messages."""
    allow_create = allow_edit = allow_delete = False
    can_export = False
    column_list = ["created_at", "subject", "read_at"]
    column_details_list = ["created_at", "subject", "body", "read_at"]
    column_labels = {"created_at": _l("时间"), "subject": _l("标题"), "body": _l("内容"), "read_at": _l("已读")}
    column_default_sort = ("created_at", True)

    @expose("/details/")
    def details_view(self):
        item = self.get_one(request.args.get("id"))
        if item.read_at is None:
            item.read_at = utcnow()
            db.session.commit()
        return super().details_view()
