"""双管's screens, under the menu category 双管, each scoped to the staffer's part of the tree."""
import datetime as dt

from flask import flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import inspect, select

from core.plugin_api import (ImportView, MEMBER_ORG_COLUMNS, Member, Organization, ScopedModelView,
                             UploadForm, ValidationError, WorkUnit, choice_formatter, choice_list, db,
                             identity_linkable, identity_refusal, normalized_id_number, orgs_inside,
                             refer_identity)

from . import imports
from .models import (GRADES, LIVES_ELSEWHERE, REGISTRATION_STATES, SIGNUP_STATES, Evaluation, Feedback,
                     OpinionRequest, Post, Registration, Service, Signup)

CATEGORY = _l("双管")
MEMBER_LOOKUP = {"fields": ["name", "name_pinyin", "name_initials"], "page_size": 10}
LABELS = {
    "member": _l("党员"), "org": _l("社区"), "name": _l("名称"), "duties": _l("岗位职责"), "needed": _l("所需人数"),
    "active": _l("启用"), "registered_on": _l("报到日期"), "card_no": _l("社区联系卡号"), "post": _l("认领岗位"),
    "state": _l("状态"), "left_on": _l("离开日期"), "served_on": _l("服务日期"), "activity": _l("服务内容"),
    "hours": _l("时长（小时）"), "verified_by": _l("核实人"), "period": _l("期间"), "grade": _l("评价等次"),
    "comment": _l("评语"), "evaluated_on": _l("评价日期"), "work_unit": _l("工作单位"), "members": _l("涉及党员"),
    "content": _l("反馈内容"), "sent_on": _l("发送日期"), "acknowledged_on": _l("单位回复日期"),
    "acknowledgement": _l("单位回复"), "purpose": _l("考察事由"), "received_on": _l("收到日期"),
    "answered_on": _l("答复日期"), "opinion": _l("社区党组织意见"), "id_number": _l("身份证号码"),
    "phone": _l("联系电话"), "employer": _l("工作单位"), "submitted_at": _l("提交时间"), "note": _l("说明"),
    "registration": _l("报到记录"), "member.name": _l("党员"),
}


def communities():
    return Organization.query.filter(Organization.kind == "community").order_by(Organization.code)


def in_service_members():
    return Member.query.filter(Member.category == "in_service")


class DualView(ScopedModelView):
    scope_org_column = "org_id"
    column_labels = LABELS
    form_args = {"org": {"query_factory": communities, "allow_blank": False}}


class PostView(DualView):
    column_list = ["org", "name", "needed", "active"]
    column_searchable_list = ["name"]
    column_filters = ["name", "needed", "active"]
    form_columns = ["org", "name", "duties", "needed", "active"]


class RegistrationView(DualView):
    column_list = ["member", "org", "registered_on", "card_no", "post", "state"]
    column_searchable_list = ["card_no", "member.name"]
    column_filters = ["state", "registered_on", "post.name"]
    column_default_sort = ("registered_on", True)
    column_formatters = {"state": choice_formatter(REGISTRATION_STATES)}
    form_columns = ["member", "org", "registered_on", "card_no", "post", "state", "left_on"]
    form_choices = {"state": choice_list(REGISTRATION_STATES)}
    form_ajax_refs = {"member": MEMBER_LOOKUP}

    def on_model_change(self, form, model, is_created):
        """A member is registered where they live (an old registration of one who moved may still be edited)."""
        member = model.member
        if (is_created or inspect(model).attrs.member.history.has_changes()) and member is not None \
                and member.location_id is not None and not orgs_inside({member.location_id}):
            raise ValidationError.single("member", str(LIVES_ELSEWHERE))
        super().on_model_change(form, model, is_created)


class ServiceView(DualView):
    column_list = ["member", "org", "served_on", "activity", "hours", "verified_by"]
    column_searchable_list = ["activity", "member.name"]
    column_filters = ["served_on", "hours", "verified_by"]
    column_default_sort = ("served_on", True)
    form_columns = ["member", "org", "served_on", "activity", "hours", "verified_by"]
    form_ajax_refs = {"member": MEMBER_LOOKUP}


class EvaluationView(DualView):
    column_list = ["member", "org", "period", "grade", "evaluated_on"]
    column_searchable_list = ["member.name"]
    column_filters = ["period", "grade", "evaluated_on"]
    column_default_sort = ("period", True)
    column_formatters = {"grade": choice_formatter(GRADES)}
    form_columns = ["member", "org", "period", "grade", "comment", "evaluated_on"]
    form_choices = {"grade": choice_list(GRADES)}
    form_ajax_refs = {"member": MEMBER_LOOKUP}
    form_args = {**DualView.form_args,
                 "period": {"description": _l("年度如2026，季度如2026-Q3")},
                 "grade": {"description": _l("当年未到社区报到的党员不能评为合格及以上等次")}}


class FeedbackView(DualView):
    column_list = ["org", "work_unit", "period", "sent_on", "acknowledged_on"]
    column_searchable_list = ["period", "work_unit.name"]
    column_filters = ["period", "sent_on", "acknowledged_on"]
    column_default_sort = ("period", True)
    form_columns = ["org", "work_unit", "period", "members", "content", "sent_on", "acknowledged_on",
                    "acknowledgement"]
    form_ajax_refs = {"members": MEMBER_LOOKUP, "work_unit": {"fields": ["name"], "page_size": 10}}


class OpinionRequestView(DualView):
    column_list = ["member", "work_unit", "org", "purpose", "received_on", "answered_on"]
    column_searchable_list = ["member.name", "purpose"]
    column_filters = ["received_on", "answered_on"]
    column_default_sort = ("received_on", True)
    form_columns = ["member", "work_unit", "org", "purpose", "received_on", "answered_on", "opinion"]
    form_ajax_refs = {"member": MEMBER_LOOKUP, "work_unit": {"fields": ["name"], "page_size": 10}}


class SignupView(DualView):
    """Self-service registrations from the public form: staff approve (a registration is made) or reject."""
    allow_create = False
    column_list = ["submitted_at", "name", "id_number", "phone", "employer", "org", "state", "note"]
    column_searchable_list = ["name"]
    column_filters = ["state", "submitted_at"]
    column_default_sort = ("submitted_at", True)
    column_formatters = {"state": choice_formatter(SIGNUP_STATES)}
    column_export_exclude_list = ["address"]
    form_columns = ["note"]

    @action("approve", _l("批准报到"), _l("批准所选的报到申请？"))
    def action_approve(self, ids):
        """A signup is approved only for an in-service member of the approver's scope who lives in it; any
        other is refused in the same words, and one held or living elsewhere goes to the conflict queue."""
        ids, approved = self.coerce_ids(ids), 0
        for signup in self.get_query().filter(Signup.id.in_(ids), Signup.state == "pending").all():
            number = normalized_id_number(signup.id_number)
            member = db.session.scalar(select(Member).where(Member.id_number == number))
            values = {c: getattr(member, c) for c in MEMBER_ORG_COLUMNS} if member else {}
            reachable = member is not None and identity_linkable(values, orgs_inside(values.values()))
            if not reachable or member.category != "in_service" or member.name != signup.name:
                if member is not None and not reachable:
                    refer_identity(member.id, member.id_number, current_user, "dual_signup", signup.name)
                    db.session.commit()
                flash(_("“%(n)s”的报到申请无法在本组织批准：%(r)s", n=signup.name, r=identity_refusal()), "error")
                continue
            registration = Registration(member=member, org=signup.org, registered_on=dt.date.today(),
                                        card_no=f"ZZ{signup.id:06d}", state="registered")
            signup.state, signup.registration = "approved", registration
            db.session.add(registration)
            try:
                db.session.commit()
            except ValidationError as exc:
                db.session.rollback()
                flash(str(exc), "error")
                continue
            approved += 1
        if approved:
            flash(_("已批准%(n)d份报到申请", n=approved), "success")

    @action("reject", _l("驳回"), _l("驳回所选的报到申请？"))
    def action_reject(self, ids):
        ids = self.coerce_ids(ids)
        rows = self.get_query().filter(Signup.id.in_(ids), Signup.state == "pending").all()
        for signup in rows:
            signup.state = "rejected"
        db.session.commit()
        flash(_("已驳回%(n)d份报到申请", n=len(rows)), "success")


class EmployerListForm(UploadForm):
    employer = QuerySelectField(_l("工作单位"), query_factory=lambda: WorkUnit.query.order_by(WorkUnit.name),
                                allow_blank=True, blank_text=_l("（按表中“工作单位”列）"))


class RegistrationImportView(ImportView):
    """An employer's list of in-service members, imported as registrations with their communities."""
    form_class = EmployerListForm
    background = False  # an employer's list is thousands of rows at most: checked while staff wait

    def options(self, form):
        return {"employer": form.employer.data.name if form.employer.data else None}

    def check(self, data, name, options):
        return imports.validate(data, name, current_user, options.get("employer"))

    def write(self, data, name, options):
        return imports.commit(data, name, current_user, options.get("employer"))

    def error_report(self, data, name, report):
        return imports.error_report_xlsx(data, name, report)

    def template_file(self):
        return imports.template_xlsx(), "在职党员名单模板.xlsx"

    def after_commit(self):
        return url_for("dual_registration.index_view")


def register(admin):
    for view, model, name, endpoint in (
            (RegistrationView, Registration, _l("社区报到"), "dual_registration"),
            (PostView, Post, _l("设岗定责"), "dual_post"),
            (ServiceView, Service, _l("服务记录"), "dual_service"),
            (EvaluationView, Evaluation, _l("社区评价"), "dual_evaluation"),
            (FeedbackView, Feedback, _l("双向反馈"), "dual_feedback"),
            (OpinionRequestView, OpinionRequest, _l("听取意见"), "dual_opinion"),
            (SignupView, Signup, _l("自助报到审核"), "dual_signup")):
        admin.add_view(view(model, db, name=name, category=CATEGORY, endpoint=endpoint))
    admin.add_view(RegistrationImportView(name=_l("导入单位名单"), category=CATEGORY, endpoint="dual_import"))
