"""共管 screens: profiles, task options, agreements, visits, hardships (with actions) and the matching screen."""
import datetime as dt

from flask import request
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from wtforms import SelectMultipleField

from core.plugin_api import (EDUCATIONS, Member, Organization, Panel, ScopedModelView, StaffOnly, db, parse_id,
                             scope_clause, visible)

from .checks import years_before
from .models import (HARDSHIP_KINDS, HARDSHIP_STATES, HEALTH, OCCASIONS, TASKS, JointAgreement, JointHardship,
                     JointHardshipAction, JointProfile, JointTaskOption, JointVisit, task_field, task_list)

CATEGORY = _l("共管")
RETIREE_LOOKUP = {"fields": ["name", "name_pinyin", "name_initials"], "page_size": 10,
                  "filters": ["category = 'retired'", "state = 'active'"]}
LABELS = {
    "member": _l("党员"), "former_unit": _l("原单位"), "unit_contact": _l("原单位联系人"),
    "unit_contact_phone": _l("原单位联系电话"), "retired_on": _l("退休日期"), "health": _l("健康状况"),
    "expertise": _l("专长"), "tasks": _l("愿意承担"), "task_choices": _l("愿意承担"),
    "no_stairs": _l("不能爬楼"), "needs_company": _l("需要陪同"), "notes": _l("备注"),
    "org": _l("社区"), "name": _l("事项名称"), "work_unit": _l("原单位"), "signed_on": _l("签订日期"),
    "review_on": _l("复核日期"), "community_duties": _l("社区职责"), "unit_duties": _l("原单位职责"),
    "community_contact": _l("社区联系人"), "visited_on": _l("走访日期"), "visitors": _l("走访人"),
    "occasion": _l("走访事由"), "given": _l("慰问内容"), "kind": _l("困难类型"), "description": _l("困难情况"),
    "reported_on": _l("反映日期"), "state": _l("处理状态"), "resolved_on": _l("解决日期"),
    "actions": _l("帮扶措施"), "acted_on": _l("措施日期"), "action": _l("措施"), "age": _l("年龄"),
    "education": _l("学历"),
}


def age_of(born, on=None):
    on = on or dt.date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def labels(*names):
    return {n: LABELS[n] for n in names}


def choices(mapping):
    return [(k, str(v)) for k, v in mapping.items()]


def shown(mapping):
    return lambda view, context, model, name: str(mapping.get(getattr(model, name), getattr(model, name) or ""))


def task_names():
    """The built-in tasks and those the staffer's communities (or the chain above her) added."""
    added = db.session.scalars(select(JointTaskOption.name).where(
        JointTaskOption.org_id.in_(select(Organization.id).where(visible(Organization))))
        .order_by(JointTaskOption.name)).all()
    return list(dict.fromkeys([str(t) for t in TASKS] + list(added)))


class JointProfileView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "age", "education", "former_unit", "unit_contact", "unit_contact_phone", "health",
                   "expertise", "tasks", "no_stairs", "needs_company", "retired_on"]
    column_labels = labels(*column_list, "notes", "task_choices")
    column_sortable_list = ["health", "retired_on", "unit_contact"]
    column_searchable_list = ["member.name", "expertise", "unit_contact"]
    column_filters = [FilterEqual(JointProfile.health, LABELS["health"], options=choices(HEALTH)),
                      "former_unit.name", "no_stairs", "needs_company", "retired_on"]
    column_formatters = {"health": shown(HEALTH),
                         "tasks": lambda v, c, m, n: "、".join(task_list(m.tasks)),
                         "age": lambda v, c, m, n: age_of(m.member.birth_date) if m.member else "",
                         "education": lambda v, c, m, n: str(EDUCATIONS.get(m.member.education, ""))
                         if m.member else ""}
    column_formatters_export = column_formatters
    form_columns = ["member", "former_unit", "unit_contact", "unit_contact_phone", "retired_on", "health",
                    "expertise", "task_choices", "no_stairs", "needs_company", "notes"]
    form_extra_fields = {"task_choices": SelectMultipleField(LABELS["task_choices"], choices=[])}
    form_choices = {"health": choices(HEALTH)}
    form_ajax_refs = {"member": RETIREE_LOOKUP}

    def _with_tasks(self, form):
        form.task_choices.choices = [(n, n) for n in task_names()]
        return form

    def create_form(self, obj=None):
        return self._with_tasks(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_tasks(super().edit_form(obj))

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        form.task_choices.data = task_list(model.tasks)

    def on_model_change(self, form, model, is_created):
        model.tasks = task_field(form.task_choices.data or [])
        super().on_model_change(form, model, is_created)


class JointTaskOptionView(ScopedModelView):
    scope_org_column = "org_id"
    column_list = ["org", "name"]
    column_labels = labels("org", "name")
    column_searchable_list = ["name"]
    form_columns = ["org", "name"]


class JointAgreementView(ScopedModelView):
    scope_org_column = "org_id"
    column_list = ["work_unit", "org", "signed_on", "review_on", "community_contact", "unit_contact",
                   "unit_contact_phone"]
    column_labels = labels(*column_list, "community_duties", "unit_duties")
    column_searchable_list = ["work_unit.name", "unit_contact", "community_contact"]
    column_filters = ["review_on", "signed_on", "work_unit.name"]
    column_default_sort = ("review_on", False)
    form_columns = ["org", "work_unit", "signed_on", "review_on", "community_duties", "unit_duties",
                    "community_contact", "unit_contact", "unit_contact_phone"]


class JointVisitView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "visited_on", "occasion", "visitors", "given"]
    column_labels = labels(*column_list, "notes")
    column_searchable_list = ["member.name", "visitors"]
    column_filters = [FilterEqual(JointVisit.occasion, LABELS["occasion"], options=choices(OCCASIONS)),
                      "visited_on"]
    column_default_sort = ("visited_on", True)
    column_formatters = {"occasion": shown(OCCASIONS)}
    column_formatters_export = column_formatters
    form_columns = ["member", "visited_on", "occasion", "visitors", "given", "notes"]
    form_choices = {"occasion": choices(OCCASIONS)}
    form_ajax_refs = {"member": RETIREE_LOOKUP}


class JointHardshipView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "kind", "reported_on", "state", "resolved_on"]
    column_labels = labels(*column_list, "description", "actions")
    column_searchable_list = ["member.name"]
    column_filters = [FilterEqual(JointHardship.kind, LABELS["kind"], options=choices(HARDSHIP_KINDS)),
                      FilterEqual(JointHardship.state, LABELS["state"], options=choices(HARDSHIP_STATES)),
                      "reported_on", "resolved_on"]
    column_default_sort = ("reported_on", True)
    column_formatters = {"kind": shown(HARDSHIP_KINDS), "state": shown(HARDSHIP_STATES)}
    column_formatters_export = column_formatters
    form_columns = ["member", "kind", "description", "reported_on", "state", "resolved_on"]
    form_choices = {"kind": choices(HARDSHIP_KINDS), "state": choices(HARDSHIP_STATES)}
    form_ajax_refs = {"member": RETIREE_LOOKUP}
    inline_models = [(JointHardshipAction, {"form_columns": ["id", "acted_on", "action"],
                                            "column_labels": labels("acted_on", "action")})]


class MatchingView(StaffOnly, BaseView):
    """Retirees willing and able to take on a task in a community, for 民事调解 or 治安防范 rotas."""
    LIMIT = 500

    def communities(self):
        return db.session.execute(
            select(Organization.id, Organization.name)
            .where(Organization.kind == "community", visible(Organization)).order_by(Organization.name)).all()

    @expose("/")
    def index(self):
        communities = self.communities()
        org_id = parse_id(request.args.get("org"), Organization.id)
        task = request.args.get("task", "").strip()
        expertise = request.args.get("expertise", "").strip()
        good_only = request.args.get("good_only") == "1"
        max_age = request.args.get("max_age", type=int)
        max_age = max_age if max_age and 0 < max_age <= 150 else None
        stairs = request.args.get("stairs") == "1"
        rows, searched = [], bool(task or expertise)
        if searched:
            conditions = [Member.category == "retired", Member.state == "active", scope_clause(Member),
                          JointProfile.health.in_(("good",) if good_only else ("good", "fair"))]
            if org_id:
                conditions.append(or_(Member.location_id == org_id,
                                      and_(Member.location_id.is_(None), Member.affiliation_id == org_id)))
            if task:
                conditions.append(JointProfile.tasks.contains(f",{task},", autoescape=True))
            if expertise:
                conditions.append(JointProfile.expertise.contains(expertise, autoescape=True))
            if max_age:
                conditions.append(Member.birth_date > years_before(dt.date.today(), max_age + 1))
            if stairs:
                conditions.append(JointProfile.no_stairs.is_(False))
            rows = db.session.execute(
                select(Member, JointProfile, Organization.name.label("community"))
                .join(JointProfile, JointProfile.member_id == Member.id)
                .outerjoin(Organization, Organization.id == Member.location_id)
                .where(*conditions).order_by(Member.name, Member.id).limit(self.LIMIT)).all()
        today = dt.date.today()
        return self.render("joint/matching.html", communities=communities, tasks=task_names(), org_id=org_id,
                           task=task, expertise=expertise, good_only=good_only, max_age=max_age, stairs=stairs,
                           rows=rows, searched=searched, limit=self.LIMIT, health=HEALTH, task_list=task_list,
                           age=lambda born: age_of(born, today))


def add_views(admin):
    admin.add_view(JointProfileView(JointProfile, name=_l("离退休党员档案"), category=CATEGORY,
                                    endpoint="joint_profile"))
    admin.add_view(JointVisitView(JointVisit, name=_l("走访慰问"), category=CATEGORY, endpoint="joint_visit"))
    admin.add_view(JointHardshipView(JointHardship, name=_l("困难帮扶"), category=CATEGORY,
                                     endpoint="joint_hardship"))
    admin.add_view(JointAgreementView(JointAgreement, name=_l("共管协议"), category=CATEGORY,
                                      endpoint="joint_agreement"))
    admin.add_view(JointTaskOptionView(JointTaskOption, name=_l("可承担事项"), category=CATEGORY,
                                       endpoint="joint_task_option"))
    admin.add_view(MatchingView(name=_l("任务匹配"), category=CATEGORY, endpoint="joint_matching"))


def panel(member):
    """The member's page: profile, visits and hardships."""
    profile = db.session.scalar(select(JointProfile).where(JointProfile.member_id == member.id))
    visits = db.session.scalars(select(JointVisit).where(JointVisit.member_id == member.id)
                                .order_by(JointVisit.visited_on.desc()).limit(20)).all()
    hardships = db.session.scalars(select(JointHardship).where(JointHardship.member_id == member.id)
                                   .order_by(JointHardship.reported_on.desc())).all()
    return Panel(title=_l("共管"), template="joint/panel.html", order=30,
                 context={"profile": profile, "visits": visits, "hardships": hardships,
                          "tasks": task_list(profile.tasks) if profile else [], "health": HEALTH,
                          "age": age_of(member.birth_date), "education": EDUCATIONS.get(member.education, ""),
                          "occasions": OCCASIONS, "kinds": HARDSHIP_KINDS, "states": HARDSHIP_STATES})
