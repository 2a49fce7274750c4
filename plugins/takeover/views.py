"""接管's screens, under the menu category 接管; every one scoped through core's base view."""
from flask import flash, request
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from core.plugin_api import Member, ScopedModelView, db, parse_id, plugin_host, scope_clause

from .models import FIVE_ONES, OUTCOMES, REASONS, RECLASSIFY_TARGETS, BranchDistance, FiveOnes, Referral, \
    TakeoverRecord, Training
from .proposal import proposed_branches

MEMBER_LOOKUP = {"member": {"fields": ["name", "name_pinyin", "name_initials"], "page_size": 10}}


def titled(choices):
    return lambda view, context, model, name: str(choices.get(getattr(model, name), getattr(model, name) or ""))


def member_name(view, context, model, name):
    return model.member.name if model.member else ""


class UnassignedFilter(BaseSQLAFilter):
    """未编入支部 / 已编入支部."""

    def apply(self, query, value, alias=None):
        column = TakeoverRecord.branch_id
        return query.filter(column.is_(None) if value == "1" else column.is_not(None))

    def operation(self):
        return _l("为")


class TakeoverRecordView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "reason", "from_unit", "arrived_on", "taken_over_on", "branch", "assigned_by"]
    column_labels = {"member": _l("党员"), "reason": _l("接管原因"), "from_unit": _l("原单位或学校"),
                     "arrived_on": _l("组织关系转入日期"), "taken_over_on": _l("接管日期"),
                     "branch": _l("编入支部"), "assigned_by": _l("经办人"), "notes": _l("备注"),
                     "member.name": _l("党员姓名")}
    column_sortable_list = ["arrived_on", "taken_over_on", "reason"]
    column_default_sort = ("id", True)
    column_searchable_list = ["member.name", "from_unit"]
    column_formatters = {"reason": titled(REASONS)}
    column_export_list = column_list + ["notes"]
    form_columns = ["member", "reason", "from_unit", "arrived_on", "taken_over_on", "branch", "assigned_by", "notes"]
    form_choices = {"reason": list(REASONS.items())}
    form_ajax_refs = MEMBER_LOOKUP
    form_args = {"branch": {"description": _l("按“就近、方便、易管、好找”：本社区各支部按与党员所住楼栋的距离由近及远排列")}}

    def __init__(self, model, *args, **kwargs):
        self.column_filters = [
            FilterEqual(TakeoverRecord.reason, _l("接管原因"), options=list(REASONS.items())),
            UnassignedFilter(TakeoverRecord.branch_id, _l("未编入支部"), options=[("1", _l("是")), ("0", _l("否"))]),
            "taken_over_on", "arrived_on",
        ]
        super().__init__(model, *args, **kwargs)

    # -- 就近: the branch field lists the member's community's branches, nearest first ---------------
    def create_form(self, obj=None):
        form = super().create_form(obj)
        member = form.member.data
        member_id = parse_id(request.args.get("member_id"), Member.id)
        if member is None and member_id is not None:
            member = db.session.get(Member, member_id)
            member = member if member is not None and self._member_visible(member) else None
            if member is not None and request.method == "GET":
                form.member.data = member
                form.reason.data = member.category if member.category in REASONS else form.reason.data
        return self._propose(form, member)

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        return self._propose(form, form.member.data or (obj.member if obj else None))

    @staticmethod
    def _member_visible(member):
        return db.session.scalar(db.select(db.exists().where(Member.id == member.id, scope_clause(Member))))

    def _propose(self, form, member):
        if member is None or not isinstance(member, Member):
            return form
        proposals = proposed_branches(member)
        metres = {org.id: m for org, m in proposals}
        field = form.branch
        field.query_factory = lambda: [org for org, _m in proposals]
        field.query, field._object_list = None, None
        field.get_label = lambda org: (_("%(n)s（约%(m)d米）", n=org.name, m=metres[org.id])
                                       if metres.get(org.id) is not None else org.name)
        return form

    def on_model_change(self, form, model, is_created):
        """By whom: the staffer who assigns the branch, unless someone else is named."""
        if model.branch is not None and not (model.assigned_by or "").strip():
            model.assigned_by = current_user.display_name
        super().on_model_change(form, model, is_created)

    # -- when a member finds work: change the category, the member moves to that mode -------------
    def _reclassify(self, ids, category):
        if category not in plugin_host().categories:
            flash(_("类别“%(c)s”未被任何已启用的管理方式认领，不能转入", c=str(RECLASSIFY_TARGETS[category])), "error")
            return
        moved = []
        for record_id in ids:
            record = self.get_one(record_id)  # out of scope: 404, as for any other row
            member = record.member
            if member.category != category:
                member.category = category
                moved.append(member.name)
        db.session.commit()
        flash(_("已将%(n)d名党员转为%(c)s：%(names)s", n=len(moved), c=str(RECLASSIFY_TARGETS[category]),
                names="、".join(moved)), "success")

    @action("to_in_service", _l("已就业：转为在职党员（双管）"), _l("确定将所选党员转为在职党员吗？"))
    def action_to_in_service(self, ids):
        self._reclassify(ids, "in_service")

    @action("to_resident", _l("已就业：转为居民党员（直管）"), _l("确定将所选党员转为居民党员吗？"))
    def action_to_resident(self, ids):
        self._reclassify(ids, "resident")


class FiveOnesView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "year", *[f"{key}_on" for key, _t in FIVE_ONES], "done"]
    column_labels = {"member": _l("党员"), "year": _l("年度"), "done": _l("已完成（项）"), "member.name": _l("党员姓名"),
                     **{f"{key}_on": title for key, title in FIVE_ONES},
                     **{f"{key}_evidence": _l("佐证材料") for key, _t in FIVE_ONES}}
    column_sortable_list = ["year"]
    column_default_sort = ("year", True)
    column_searchable_list = ["member.name"]
    column_filters = ["year"]
    column_formatters = {"done": lambda v, c, model, n: model.done}
    column_export_list = ["member", "year", *[f"{key}_{part}" for key, _t in FIVE_ONES for part in ("on", "evidence")]]
    form_columns = ["member", "year", *[f"{key}_{part}" for key, _t in FIVE_ONES for part in ("on", "evidence")]]
    form_ajax_refs = MEMBER_LOOKUP


class TrainingView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "course", "provider", "starts_on", "ends_on", "completed", "certificate"]
    column_labels = {"member": _l("党员"), "course": _l("培训课程"), "provider": _l("培训机构"),
                     "starts_on": _l("开始日期"), "ends_on": _l("结束日期"), "completed": _l("已结业"),
                     "certificate": _l("证书"), "member.name": _l("党员姓名")}
    column_sortable_list = ["starts_on", "course"]
    column_default_sort = ("starts_on", True)
    column_searchable_list = ["member.name", "course"]
    column_filters = ["completed", "starts_on", "provider"]
    form_columns = column_list
    form_ajax_refs = MEMBER_LOOKUP


class ReferralView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "employer", "post", "referred_on", "outcome", "outcome_on"]
    column_labels = {"member": _l("党员"), "employer": _l("用人单位"), "post": _l("岗位"),
                     "referred_on": _l("推荐日期"), "outcome": _l("结果"), "outcome_on": _l("结果日期"),
                     "member.name": _l("党员姓名")}
    column_sortable_list = ["referred_on", "outcome"]
    column_default_sort = ("referred_on", True)
    column_searchable_list = ["member.name", "employer"]
    column_formatters = {"outcome": titled(OUTCOMES)}
    form_columns = column_list
    form_choices = {"outcome": list(OUTCOMES.items())}
    form_ajax_refs = MEMBER_LOOKUP

    def __init__(self, model, *args, **kwargs):
        self.column_filters = [FilterEqual(Referral.outcome, _l("结果"), options=list(OUTCOMES.items())),
                               "referred_on"]
        super().__init__(model, *args, **kwargs)


class BranchDistanceView(ScopedModelView):
    scope_org_column = "community_id"
    column_list = ["community", "building", "branch", "metres"]
    column_labels = {"community": _l("社区"), "building": _l("楼栋"), "branch": _l("党支部"), "metres": _l("距离（米）")}
    column_sortable_list = ["building", "metres"]
    column_default_sort = "building"
    column_searchable_list = ["building"]
    column_filters = ["building", "metres"]
    form_columns = column_list


def add_views(admin):
    category = _l("接管")
    admin.add_view(TakeoverRecordView(TakeoverRecord, name=_l("接管登记"), category=category,
                                      endpoint="takeover_record"))
    admin.add_view(FiveOnesView(FiveOnes, name=_l("五个一"), category=category, endpoint="takeover_five_ones"))
    admin.add_view(TrainingView(Training, name=_l("技能培训"), category=category, endpoint="takeover_training"))
    admin.add_view(ReferralView(Referral, name=_l("就业推荐"), category=category, endpoint="takeover_referral"))
    admin.add_view(BranchDistanceView(BranchDistance, name=_l("楼栋与支部距离"), category=category,
                                      endpoint="takeover_distance"))
