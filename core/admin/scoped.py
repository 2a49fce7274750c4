"""The base of every admin screen, core's and the plugins': scope, roles, masking, CSRF, export.

Permissions are enforced here and only here, so a plugin's screen that subclasses
`ScopedModelView` cannot forget one: list, count, details, edit, delete, bulk actions,
export, ajax lookups and select-field choices all go through `core.scope`.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import BaseForm
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import exists, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Query

from .. import errorpages, scope
from ..errors import ValidationError
from ..ids import parse as parse_id
from ..extensions import db
from ..models import Organization
from . import export

WRITE_ROLES = ("admin", "street", "community", "branch")
WRITE_ENDPOINTS = {"create_view", "edit_view", "delete_view", "action_view", "ajax_update"}


class AdminForm(BaseForm):
    """Flask-Admin forms carrying Flask-WTF's CSRF token, the one the app-wide CSRFProtect checks."""

    class Meta(FlaskForm.Meta):
        pass


class CappedCountQuery(Query):
    """Counts at most `cap` + 1 rows, so the pager never counts a whole city's table."""

    cap = 10000

    def scalar(self):
        inner = self.limit(self.cap + 1).subquery()
        return self.session.execute(select(func.count()).select_from(inner)).scalar()


def visible(model, staff=None):
    """What a staffer may pick or see of `model`: organizations up her chain, other rows by scope."""
    return scope.linkable_orgs(staff) if model is Organization else scope.clause(model, staff)


class ScopedAjaxLoader(QueryAjaxModelLoader):
    def get_query(self):
        return super().get_query().filter(visible(self.model))

    def get_one(self, pk):
        column = inspect(self.model).primary_key[0]
        pk = parse_id(pk, column)  # the form posts text; PostgreSQL will not compare it with an integer
        if pk is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(column == pk).one_or_none()


class StaffOnly:
    """Any logged-in, active staffer; anonymous visitors go to the log-in page."""

    def is_accessible(self):
        return current_user.is_authenticated and current_user.is_active

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("auth.login", next=request.full_path))


class ScopedModelView(StaffOnly, ModelView):
    """Subclass this for every screen. Declare how rows relate to the organization tree with
    `scope_org_column` (a column holding an organization id) or `scope_member_column`
    (a column holding a member id), unless `core.scope.rule(Model)` already covers the model."""

    scope_org_column = None
    scope_member_column = None
    write_roles = WRITE_ROLES
    allow_create = allow_edit = allow_delete = True
    sensitive_columns = {}  # column name -> function(value) masking it for staff without the right

    form_base_class = AdminForm
    page_size = 50
    can_set_page_size = True
    page_size_options = (20, 50, 100, 200)
    can_view_details = True
    can_export = True
    export_types = ["xlsx", "csv"]
    export_max_rows = 100000
    column_type_formatters = {**ModelView.column_type_formatters}

    def __init__(self, model, session=None, **kwargs):
        self._declare_scope(model)
        super().__init__(model, session or db, **kwargs)
        self._mask_sensitive_columns()
        for loader in (self._form_ajax_refs or {}).values():
            # Flask-Admin builds inline forms' loaders itself; they must be scoped all the same.
            if type(loader) is QueryAjaxModelLoader:
                loader.__class__ = ScopedAjaxLoader

    def _declare_scope(self, model):
        if scope.has_rule(model):
            return
        if self.scope_member_column:
            column = getattr(model, self.scope_member_column)
            scope.rule(model)(lambda orgs, staff: column.in_(scope.member_ids(orgs)))
        elif self.scope_org_column:
            column = getattr(model, self.scope_org_column)
            scope.rule(model)(lambda orgs, staff: column.in_(orgs))
        else:
            raise TypeError(f"{type(self).__name__} must set scope_org_column or scope_member_column, "
                            f"or core.scope.rule({model.__name__}) must exist")

    def _mask_sensitive_columns(self):
        def formatter(mask):
            return lambda view, context, model, name: mask(getattr(model, name))
        masks = {name: formatter(fn) for name, fn in self.sensitive_columns.items()}
        self.column_formatters = {**(self.column_formatters or {}), **masks}
        self.column_formatters_detail = {**(self.column_formatters_detail or self.column_formatters), **masks}
        self.column_formatters_export = {**(self.column_formatters_export or {}), **masks}

    # -- who may do what -------------------------------------------------------------
    def writable(self):
        return current_user.is_authenticated and current_user.role in self.write_roles

    @property
    def can_create(self):
        return self.allow_create and self.writable()

    @property
    def can_edit(self):
        return self.allow_edit and self.writable()

    @property
    def can_delete(self):
        return self.allow_delete and self.writable()

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and name in WRITE_ENDPOINTS and not self.writable():
            abort(403)
        return response

    # -- rows ------------------------------------------------------------------------
    def get_query(self):
        return super().get_query().filter(scope.clause(self.model))

    def get_count_query(self):
        """Scoped, and capped at `CappedCountQuery.cap` + 1 rows."""
        pk = inspect(self.model).primary_key[0]
        return CappedCountQuery(pk, session=db.session).filter(scope.clause(self.model))

    def get_one(self, id):
        """Out of scope and missing look the same: 404, nothing leaked."""
        pk = inspect(self.model).primary_key[0]
        key = parse_id(id, pk)
        if key is None:
            abort(404)
        found = self.get_query().filter(pk == key).one_or_none()
        if found is None:
            abort(404)
        return found

    def coerce_ids(self, ids):
        """Posted ids are strings; PostgreSQL will not compare them with integer keys. Junk is dropped."""
        pk = inspect(self.model).primary_key[0]
        return [key for key in (parse_id(value, pk) for value in ids) if key is not None]

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        return super().action_delete(self.coerce_ids(ids))

    def in_scope(self, model):
        pk = inspect(self.model).primary_key[0]
        return db.session.scalar(select(exists().where(pk == getattr(model, pk.key), scope.clause(self.model))))

    def _get_filter_groups(self):
        """Options given as a function are computed for this request and this staffer,
        never cached on the shared view (another staffer's organizations would leak)."""
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                options = self._filters[item["index"]].options
                if callable(options):
                    item["options"] = [(k, str(v)) for k, v in options()] or None
        return groups

    # -- forms -----------------------------------------------------------------------
    def _create_ajax_loader(self, name, options):
        attr = getattr(self.model, name)
        return ScopedAjaxLoader(name, db, attr.prop.mapper.class_, **options)

    def create_form(self, obj=None):
        return self._scope_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._scope_choices(super().edit_form(obj))

    def _scope_choices(self, form):
        """A select field offers, and accepts, only rows the staffer may link to (inline forms too)."""
        for field in form:
            if isinstance(field, (QuerySelectField, QuerySelectMultipleField)) and field.query_factory:
                base = field.query_factory
                model = base().column_descriptions[0]["entity"]
                field.query_factory = lambda base=base, model=model: base().filter(visible(model))
                field.query = None
            if hasattr(field, "entries"):  # inline models: a list of sub-forms
                for entry in field.entries:
                    if hasattr(entry, "form"):
                        self._scope_choices(entry.form)
            elif hasattr(field, "form"):
                self._scope_choices(field.form)
        return form

    def on_model_change(self, form, model, is_created):
        """Validate now, while the form can still show the errors, and keep the row in scope."""
        try:
            db.session.flush()
        except ValidationError as exc:
            for name, messages in exc.errors.items():
                if name in form:
                    form[name].errors = list(form[name].errors) + messages
            raise
        if not self.in_scope(model):
            raise ValidationError.single("__all__", _("保存后该记录将超出您的管理范围，未保存"))

    def handle_view_exception(self, exc):
        """Bad input is explained per field; a database refusal in one Chinese sentence, its SQL and
        values only in the log's statement (Flask-Admin would flash the driver's text verbatim)."""
        if isinstance(exc, ValidationError):
            for name, messages in exc.errors.items():
                for message in messages:
                    flash(message, "error")
            return True
        if isinstance(exc, SQLAlchemyError):
            errorpages.log_database_error(exc)
            flash(errorpages.staff_message(exc), "error")
            return True
        return super().handle_view_exception(exc)

    # -- export ----------------------------------------------------------------------
    @expose("/export/<export_type>/")
    def export(self, export_type):
        if not self.can_export or export_type not in self.export_types:
            abort(404)
        count, rows = self._export_data()
        titles = [str(title) for _, title in self._export_columns]
        values = ([self.get_export_value(row, name) for name, _ in self._export_columns] for row in rows)
        return export.response(self.get_export_name(export_type), export_type, titles, values,
                               table=self.model.__tablename__, note=request.query_string.decode())
