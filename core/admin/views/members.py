"""The member roll: indexed search, scoped filters, masked numbers, and one page per member."""
from flask import flash, render_template, request
from markupsafe import Markup
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, IntEqualFilter
from flask_admin.contrib.sqla.validators import Unique
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import inspect, select

from ... import identity, members, privacy, scope
from ...extensions import db
from ...models import Activity, Attendance, Member, Transfer
from ...models import members as m
from ...plugins import host
from ..scoped import ScopedModelView
from .labels import LABELS, choice_formatter, choice_list, labels
from .organizations import org_options


class ModeFilter(BaseSQLAFilter):
    """By management mode: the categories the mode claims."""

    def apply(self, query, value, alias=None):
        categories = [c for c, (mode, _) in host().categories.items() if mode.key == value]
        return query.filter(Member.category.in_(categories))

    def operation(self):
        return _l("等于")


def category_title(view, context, model, name):
    claimed = host().categories.get(model.category)
    return str(claimed[1]) if claimed else _("%(c)s（未被任何管理模式认领）", c=model.category)


class MemberView(ScopedModelView):
    column_list = ["name", "gender", "birth_date", "id_number", "phone", "category", "affiliation", "location",
                   "liaison_group", "state"]
    column_labels = {**labels("name", "gender", "birth_date", "id_number", "phone", "category", "affiliation",
                              "location", "liaison_group", "state", "ethnicity", "address", "building",
                              "unit_no", "room", "education", "joined_on", "confirmed_on", "status",
                              "probation_extension_months", "work_unit", "mobile", "email",
                              "preferred_channel"), "name": _l("姓名")}
    column_sortable_list = ["name", "joined_on", "category", "state"]
    column_default_sort = "id"
    column_searchable_list = ["name"]
    column_formatters = {
        "gender": choice_formatter(m.GENDERS), "state": choice_formatter(m.STATES),
        "status": choice_formatter(m.STATUSES), "education": choice_formatter(m.EDUCATIONS),
        "category": category_title, "preferred_channel": choice_formatter(m.CHANNELS),
    }
    column_export_list = ["name", "gender", "ethnicity", "birth_date", "id_number", "phone", "mobile", "email",
                          "preferred_channel", "address", "education",
                          "joined_on", "confirmed_on", "status", "category", "affiliation", "location",
                          "liaison_group", "work_unit", "state"]
    form_columns = ["name", "id_number", "gender", "birth_date", "ethnicity", "phone", "mobile", "email",
                    "preferred_channel", "address", "building",
                    "unit_no", "room", "education", "joined_on", "confirmed_on", "status",
                    "probation_extension_months", "category", "state", "affiliation", "location", "liaison_group",
                    "work_unit"]
    form_ajax_refs = {"work_unit": {"fields": ["name"], "page_size": 10}}
    details_template = "admin/member_details.html"

    def __init__(self, model, *args, **kwargs):
        categories = {c: str(title) for c, (mode, title) in host().categories.items()}
        modes = [(mode.key, mode.title) for mode in host().modes.values()]
        self.form_choices = {
            "gender": choice_list(m.GENDERS), "status": choice_list(m.STATUSES), "state": choice_list(m.STATES),
            "education": choice_list(m.EDUCATIONS), "category": list(categories.items()),
            "preferred_channel": choice_list(m.CHANNELS),
        }
        self.column_filters = [
            FilterEqual(Member.category, LABELS["category"], options=list(categories.items())),
            ModeFilter(Member.category, LABELS["mode"], options=modes),
            IntEqualFilter(Member.location_id, LABELS["location"], options=org_options("community")),
            IntEqualFilter(Member.affiliation_id, LABELS["affiliation"],
                           options=org_options("branch", "temp_branch", "building_branch", "mobile_station")),
            IntEqualFilter(Member.liaison_group_id, LABELS["liaison_group"], options=org_options("liaison_group")),
            FilterEqual(Member.state, LABELS["state"], options=choice_list(m.STATES)),
            FilterEqual(Member.gender, LABELS["gender"], options=choice_list(m.GENDERS)),
        ]
        super().__init__(model, *args, **kwargs)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        for term in search.split():
            query = query.filter(Member.search(term))
            if count_query is not None:
                count_query = count_query.filter(Member.search(term))
        return query, count_query, joins, count_joins

    def search_placeholder(self):
        return str(_l("姓名、拼音、首字母、身份证号或电话"))

    def scaffold_form(self):
        """Without Flask-Admin's uniqueness check on 身份证, which would say "already exists" of any member
        in the city: `_number_taken` answers instead, within the staffer's scope."""
        form_class = super().scaffold_form()
        field = form_class.id_number
        field.kwargs["validators"] = [v for v in field.kwargs.get("validators", ()) if not isinstance(v, Unique)]
        return form_class

    def create_model(self, form):
        return False if self._number_taken(form, None) else super().create_model(form)

    def update_model(self, form, model):
        return False if self._number_taken(form, model) else super().update_model(form, model)

    def _number_taken(self, form, model):
        """A 身份证 another member holds: named when that member is in scope, else core.identity's refusal
        (and a case for the staff above both). Asked before anything is written, so the case is kept."""
        if "id_number" not in form:
            return False
        message = identity.check_new_holder(form.id_number.data, current_user, "member_form", name=form.name.data,
                                            exclude_id=model.id if model is not None else None)
        if message:
            form.id_number.errors = list(form.id_number.errors) + [message]
            flash(message, "error")
        return bool(message)

    def on_model_change(self, form, model, is_created):
        """A category changed in the form is a move between modes, like `core.members.change_category`."""
        if not is_created:
            history = inspect(model).attrs.category.history
            if history.deleted and history.added and history.deleted[0] != history.added[0]:
                members.moved(model, history.deleted[0], history.added[0])
        super().on_model_change(form, model, is_created)

    @expose("/details/")
    def details_view(self):
        member = self.get_one(request.args.get("id"))
        transfers = db.session.scalars(select(Transfer).where(Transfer.member_id == member.id,
                                                              scope.clause(Transfer))
                                       .order_by(Transfer.issued_on.desc())).all()
        attended = db.session.execute(
            select(Activity, Attendance).join(Attendance, Attendance.activity_id == Activity.id)
            .where(Attendance.member_id == member.id).order_by(Activity.held_on.desc()).limit(50)).all()
        # Panels see the member and their own rows as the staffer may see them (core.privacy.Shown).
        panels = [(panel, Markup(render_template(panel.template, member=privacy.Shown(member),
                                                 **privacy.shown(panel.context))))
                  for panel in sorted(host().collect("wuguan_member_panels", member=member), key=lambda p: p.order)]
        return self.render(self.details_template, model=privacy.Shown(member), transfers=transfers,
                           attended=attended, panels=panels, activity_kinds=host().activity_kinds(),
                           category=category_title(self, None, member, "category"), labels=LABELS, m=m,
                           return_url=self.get_url(".index_view"))
