"""协管 screens, all scoped: records, contact log, 活动证, stations, temporary relationships, the ledger."""
from flask import Response, abort, flash
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l

from core.plugin_api import (Organization, ScopedModelView, Transfer, ValidationError, db, enqueue_rows,
                             sending_time, utcnow)

from . import ledger
from .models import (DIRECTIONS, METHODS, PARTIES, REASONS, RECORD_STATES, Card, Contact, MobileRecord, Station,
                     TempRelation)

CATEGORY = _l("协管")
LABELS = {
    "member": _l("党员"), "direction": _l("流向"), "other_org": _l("对方党组织（本市）"),
    "other_org_name": _l("对方党组织（外地）"), "other_contact_person": _l("对方联系人"),
    "other_phone": _l("对方电话"), "other_email": _l("对方电子邮箱"), "other_address": _l("对方地址"),
    "place": _l("现所在地"), "workplace": _l("工作单位/场所"), "since": _l("外出/流入日期"),
    "expected_back": _l("预计返回日期"), "reason": _l("流动原因"), "fixed_place": _l("有固定住所"),
    "settled": _l("已定居"), "state": _l("状态"), "station": _l("流动党员管理站"), "note": _l("备注"),
    "record": _l("流动党员记录"), "contacted_on": _l("联系日期"), "party": _l("联系对象"), "method": _l("联系方式"),
    "is_report": _l("本人汇报"), "summary": _l("了解到的情况"), "feedback": _l("反馈给对方党组织的情况"),
    "feedback_outbox_id": _l("反馈邮件"), "number": _l("活动证编号"), "issuing_org": _l("发证党组织"),
    "issued_on": _l("发证日期"), "valid_until": _l("有效期至"), "checked_on": _l("年检日期"),
    "returned_on": _l("收回日期"), "name": _l("名称"), "employer": _l("用工单位"), "org": _l("管理站党组织"),
    "temp_branch": _l("临时党支部"), "records": _l("成员"), "branch": _l("所在支部（本市）"),
    "branch_name": _l("所在支部（外地）"), "started_on": _l("开始日期"), "ended_on": _l("结束日期"),
    "transfer": _l("介绍信"),
}
MEMBER_AJAX = {"fields": ["name", "name_pinyin", "name_initials"], "page_size": 10}


def labels(*names):
    return {n: LABELS[n] for n in names}


def choices(mapping):
    return list(mapping.items())


def shown(mapping):
    return lambda view, context, model, name: str(mapping.get(getattr(model, name), getattr(model, name) or ""))


class RecordView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "direction", "other_org", "other_org_name", "place", "workplace", "since",
                   "reason", "fixed_place", "settled", "state", "station"]
    column_labels = LABELS
    column_default_sort = ("since", True)
    column_searchable_list = ["place", "workplace", "other_org_name"]
    column_filters = [FilterEqual(MobileRecord.direction, LABELS["direction"], options=choices(DIRECTIONS)),
                      FilterEqual(MobileRecord.reason, LABELS["reason"], options=choices(REASONS)),
                      FilterEqual(MobileRecord.state, LABELS["state"], options=choices(RECORD_STATES)),
                      "settled", "fixed_place", "since"]
    column_formatters = {"direction": shown(DIRECTIONS), "reason": shown(REASONS), "state": shown(RECORD_STATES)}
    column_formatters_export = column_formatters
    form_columns = ["member", "direction", "other_org", "other_org_name", "other_contact_person", "other_phone",
                    "other_email", "other_address", "place", "workplace", "since", "expected_back", "reason",
                    "fixed_place", "settled", "state", "station", "note"]
    form_choices = {"direction": choices(DIRECTIONS), "reason": choices(REASONS), "state": choices(RECORD_STATES)}
    form_ajax_refs = {"member": MEMBER_AJAX}


class ContactView(ScopedModelView):
    """The contact log; a contact with the other side's organization may carry feedback, mailed to it."""
    scope_member_column = "member_id"
    column_list = ["record", "contacted_on", "party", "method", "is_report", "summary", "feedback",
                   "feedback_outbox_id"]
    column_labels = LABELS
    column_default_sort = ("contacted_on", True)
    column_searchable_list = ["summary"]
    column_filters = [FilterEqual(Contact.party, LABELS["party"], options=choices(PARTIES)),
                      FilterEqual(Contact.method, LABELS["method"], options=choices(METHODS)),
                      "contacted_on", "is_report"]
    column_formatters = {"party": shown(PARTIES), "method": shown(METHODS)}
    column_formatters_export = column_formatters
    form_columns = ["record", "contacted_on", "party", "method", "is_report", "summary", "feedback"]
    form_choices = {"party": choices(PARTIES), "method": choices(METHODS)}
    form_args = {"feedback": {"description": _l("填写后以电子邮件发给对方党组织（流入党员的情况反馈），并记入日志")}}

    def after_model_change(self, form, model, is_created):
        if model.feedback and model.feedback_outbox_id is None:
            send_feedback(model)
            db.session.commit()


def send_feedback(contact):
    """Mail the collected situation to the other side's organization, through the outbox (sent once)."""
    record = contact.record
    address = record.other_email or (record.other_org.email if record.other_org else None)
    if not address:
        flash(_("对方党组织没有电子邮箱，反馈未发送"), "warning")
        return None
    now = utcnow()
    ids = enqueue_rows([{
        "rule_code": "assist.feedback", "dedup_key": f"contact:{contact.id}", "channel": "email",
        "recipient": address,
        "subject": _("流动党员%(n)s情况反馈", n=record.member.name),
        "body": _("%(o)s：\n\n%(n)s在本地期间的情况（%(d)s）：\n%(f)s\n", o=record.other_side,
                  n=record.member.name, d=contact.contacted_on.isoformat(), f=contact.feedback),
        "org_id": record.member.location_id or record.member.affiliation_id, "state": "pending", "attempts": 0,
        "created_at": now, "not_before": sending_time(now), "history": []}])
    if ids:
        contact.feedback_outbox_id = ids[0]
    return ids


class CardView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["number", "member", "issuing_org", "issued_on", "valid_until", "checked_on", "returned_on"]
    column_labels = LABELS
    column_default_sort = ("issued_on", True)
    column_searchable_list = ["number"]
    column_filters = ["valid_until", "issued_on", "returned_on"]
    form_columns = ["number", "member", "issuing_org", "issued_on", "valid_until", "checked_on", "returned_on"]
    form_ajax_refs = {"member": MEMBER_AJAX}
    form_args = {"number": {"description": _l("持证人可在所在地参加组织生活、交纳党费，但不参加表决和选举")}}


class StationView(ScopedModelView):
    scope_org_column = "org_id"
    column_list = ["name", "place", "employer", "org", "temp_branch", "records"]
    column_labels = LABELS
    column_searchable_list = ["name", "place", "employer"]
    column_formatters = {"records": lambda v, c, m, n: len([r for r in m.records if r.state == "active"])}
    column_formatters_export = column_formatters
    form_columns = ["name", "place", "employer", "org"]

    @action("temp_branch", _l("建立临时党支部"), _l("为选中的管理站建立临时党支部？"))
    def action_temp_branch(self, ids):
        for station in self.get_query().filter(Station.id.in_(self.coerce_ids(ids))).all():
            try:
                branch = create_temp_branch(station)
                db.session.commit()
                flash(_("已建立临时党支部“%(n)s”", n=branch.name), "success")
            except ValidationError as exc:
                db.session.rollback()
                for messages in exc.errors.values():
                    for message in messages:
                        flash(message, "error")


def create_temp_branch(station, minimum=None):
    """A core organization of kind temp_branch beside the station, for 3 or more members together."""
    from flask import current_app
    minimum = minimum or current_app.config["PLUGINS"]["assist"]["temp_branch_min_members"]
    if station.temp_branch_id is not None:
        raise ValidationError.single("temp_branch", _("管理站“%(s)s”已有临时党支部", s=station.name))
    count = len([r for r in station.records if r.state == "active"])
    if count < minimum:
        raise ValidationError.single("records", _("管理站“%(s)s”只有%(n)d名流动党员，%(m)d名以上才能建立临时党支部",
                                                  s=station.name, n=count, m=minimum))
    branch = Organization(kind="temp_branch", name=_("%(s)s临时党支部", s=station.name),
                          code=f"{station.org.code}-T{station.id}", parent=station.org,
                          address=station.place)
    db.session.add(branch)
    station.temp_branch = branch
    db.session.flush()
    return branch


class TempRelationView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "branch", "branch_name", "started_on", "ended_on", "transfer"]
    column_labels = LABELS
    column_default_sort = ("started_on", True)
    column_filters = ["started_on", "ended_on"]
    form_columns = ["member", "record", "branch", "branch_name", "started_on", "ended_on"]
    form_ajax_refs = {"member": MEMBER_AJAX}

    def on_model_change(self, form, model, is_created):
        if is_created and model.transfer is None:
            model.transfer = temporary_letter(model)
        super().on_model_change(form, model, is_created)


def temporary_letter(relation):
    """The core transfer (a letter) that moves the temporary relationship; the relation marks it temporary."""
    member = relation.member
    record = relation.record
    direction = record.direction if record is not None else "out"
    here = member.affiliation_id
    transfer = Transfer(member=member, direction=direction, within_city=relation.branch_id is not None,
                        issued_on=relation.started_on,
                        letter_no=f"临{relation.started_on.year}-{member.id}-{relation.started_on:%m%d}")
    if direction == "out":
        transfer.from_org_id = here
        transfer.to_org, transfer.to_org_name = relation.branch, relation.branch_name
    else:
        transfer.to_org_id = relation.branch_id or here
        transfer.from_org_name = (record.other_side if record is not None else None) or _("流出地党组织")
    return transfer


class LedgerView(ScopedModelView):
    """二卡三簿: one community's ledger as PDF or XLSX, in layouts a deployment may override."""
    allow_create = allow_edit = allow_delete = False
    can_export = False
    column_list = ["name", "code"]
    column_labels = {"name": _l("社区"), "code": _l("编码")}
    list_template = "assist/ledger_list.html"

    def get_query(self):
        return super().get_query().filter(Organization.kind == "community")

    def get_count_query(self):
        return super().get_count_query().filter(Organization.kind == "community")

    @expose("/<int:org_id>/<fmt>")
    def download(self, org_id, fmt):
        community = self.get_query().filter(Organization.id == org_id).one_or_none()
        if community is None or fmt not in ("pdf", "xlsx"):
            abort(404)
        data = ledger.collect(community)
        title = _("%(c)s流动党员二卡三簿", c=community.name)
        if fmt == "pdf":
            body, mime = ledger.render_pdf(title, data), "application/pdf"
        else:
            body, mime = ledger.render_xlsx(title, data), \
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        from urllib.parse import quote
        return Response(body, mimetype=mime, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(title)}.{fmt}"})


def add_views(admin):
    admin.add_view(RecordView(MobileRecord, name=_l("流动党员"), category=CATEGORY,
                              endpoint="assist_record"))
    admin.add_view(ContactView(Contact, name=_l("联系记录"), category=CATEGORY,
                               endpoint="assist_contact"))
    admin.add_view(CardView(Card, name=_l("流动党员活动证"), category=CATEGORY, endpoint="assist_card"))
    admin.add_view(StationView(Station, name=_l("流动党员管理站"), category=CATEGORY,
                               endpoint="assist_station"))
    admin.add_view(TempRelationView(TempRelation, name=_l("临时组织关系"), category=CATEGORY,
                                    endpoint="assist_temp_relation"))
    admin.add_view(LedgerView(Organization, name=_l("二卡三簿"), category=CATEGORY,
                              endpoint="assist_ledger"))
