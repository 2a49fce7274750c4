"""The base of every admin screen, core's and the plugins': scope, roles, masking, CSRF, export.

Permissions are enforced here and only here, so a plugin's screen that subclasses
`ScopedModelView` cannot forget one: list, count, details, edit, delete, bulk actions,
export, ajax lookups and select-field choices all go through `core.scope`.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose, tools
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

from .. import errorpages, privacy, scope
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


class ScopedLoading:
    """Narrows an ajax loader's lookups to what the staffer may see, whatever the loader adds itself."""

    def get_query(self):
        return super().get_query().filter(visible(self.model))

    def get_list(self, term, offset=0, limit=10):
        """A loader that builds its own list query rather than calling `get_query` is checked afterwards."""
        found = super().get_list(term, offset, limit)
        column = inspect(self.model).primary_key[0]
        keys = [getattr(row, column.key) for row in found]
        with db.session.no_autoflush:
            allowed = set(db.session.scalars(select(column).where(column.in_(keys), visible(self.model)))) if keys else set()
        return [row for row in found if getattr(row, column.key) in allowed]

    def get_one(self, pk):
        column = inspect(self.model).primary_key[0]
        pk = parse_id(pk, column)  # the form posts text; PostgreSQL will not compare it with an integer
        if pk is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(column == pk).one_or_none()


def _outside(model, row):
    """Whether the staffer may not link to `row`."""
    pk = inspect(model).primary_key[0]
    with db.session.no_autoflush:
        return not db.session.scalar(select(exists().where(pk == getattr(row, pk.key), visible(model))))


def _keep_link_outside(field, obj, base, model):
    """Make a select field keep obj's current link when it lies outside the staffer's choices."""
    current = getattr(obj, field.name)
    if current is None or not _outside(model, current):
        return
    pk = inspect(model).primary_key[0]
    key = getattr(current, pk.key)
    field.query_factory = lambda: base().filter(pk == key)
    field.data = current  # whatever was posted: the link is not the staffer's to change
    field.allow_blank = False
    field.render_kw = {**(field.render_kw or {}), "disabled": True}
    field.description = _("不在您的管理范围内，保存时保持不变")
    field.pre_validate = lambda form: None
    field.populate_obj = lambda target, name: None


def _without_search(args):
    """What an export's audit note keeps of its query: the filters, not the search term (a number typed in full)."""
    return "&".join(f"{k}={v}" for k, v in args.items(multi=True) if k != "search")


class ScopedAjaxLoader(ScopedLoading, QueryAjaxModelLoader):
    """The loader core builds for `form_ajax_refs` given as options."""


def scoped_loader(loader):
    """`loader`, its lookups scoped: a plugin's own loader class (a subclass of Flask-Admin's
    `QueryAjaxModelLoader` with its own query) keeps its behaviour and gains the scope on top.
    A loader of any other kind cannot be scoped here, so the screen refuses to start."""
    if isinstance(loader, ScopedLoading):
        return loader
    if not isinstance(loader, QueryAjaxModelLoader):
        raise TypeError(f"ajax loader {loader.name!r} ({type(loader).__name__}) must subclass QueryAjaxModelLoader, "
                        "so that its lookups can be scoped")
    cls = type(loader)
    if cls not in _SCOPED_CLASSES:
        _SCOPED_CLASSES[cls] = type(f"Scoped{cls.__name__}", (ScopedLoading, cls), {"__module__": cls.__module__})
    loader.__class__ = _SCOPED_CLASSES[cls]
    return loader


_SCOPED_CLASSES = {}


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
    `scope_org_column` (a column holding an organization id), `scope_member_column`
    (a column holding a member id) or `scope_through` (a many-to-one relationship whose
    model has a scope: a visit is seen by whoever sees its pairing), unless
    `core.scope.rule(Model)` already covers the model. `choice_filters` narrows what a
    relation's select offers ({"org": Organization.kind == "branch"}, or a function
    returning the condition), within the staffer's scope as always."""

    scope_org_column = None
    scope_member_column = None
    scope_through = None
    choice_filters = {}
    write_roles = WRITE_ROLES
    allow_create = allow_edit = allow_delete = True

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
        self._filter_choices(model)
        super().__init__(model, session or db, **kwargs)
        self._mask_sensitive_columns()
        for loader in (self._form_ajax_refs or {}).values():
            # Inline forms' loaders (Flask-Admin builds them) and a screen's own loaders alike.
            scoped_loader(loader)

    def _declare_scope(self, model):
        if scope.has_rule(model):
            return
        if self.scope_through:
            # Resolved when asked, so the related model's screen may come later; without a rule it shows nothing.
            relationship = getattr(model, self.scope_through).property
            related = relationship.mapper.class_
            ((local, remote),) = relationship.local_remote_pairs
            scope.rule(model, orgs=False)(lambda orgs, staff: local.in_(
                select(remote).where(scope.clause(related, staff))))
        elif self.scope_member_column:
            column = getattr(model, self.scope_member_column)
            scope.rule(model)(lambda orgs, staff: column.in_(scope.member_ids(orgs)))
        elif self.scope_org_column:
            column = getattr(model, self.scope_org_column)
            scope.rule(model)(lambda orgs, staff: column.in_(orgs))
        else:
            raise TypeError(f"{type(self).__name__} must set scope_org_column or scope_member_column "
                            f"(or scope_through), or core.scope.rule({model.__name__}) must exist")

    def _filter_choices(self, model):
        """`choice_filters` become the relation fields' queries; `_scope_choices` then scopes them."""
        for name, condition in self.choice_filters.items():
            related = getattr(model, name).property.mapper.class_

            def query(related=related, condition=condition):
                return db.session.query(related).filter(condition() if callable(condition) else condition)
            self.form_args = {**(self.form_args or {}),
                              name: {**(self.form_args or {}).get(name, {}), "query_factory": query}}

    def _mask_sensitive_columns(self):
        """Personal columns the models declare (core.privacy) reach the list, the details and the
        export only through `privacy.reveal`, whatever formatter the screen set; searching or
        filtering on one would be an oracle for its hidden part, so a screen may not."""
        def formatter(kind):
            return lambda view, context, model, name: privacy.reveal(tools.rec_getattr(model, name), kind)
        names = {name for columns in (self.get_list_columns(), self.get_details_columns(), self.get_export_columns())
                 for name, _title in columns}
        masks = {name: formatter(kind) for name in names if (kind := self._sensitive_kind(name))}
        self.column_formatters = {**(self.column_formatters or {}), **masks}
        self.column_formatters_detail = {**(self.column_formatters_detail or self.column_formatters), **masks}
        self.column_formatters_export = {**(self.column_formatters_export or {}), **masks}
        for name in self.column_searchable_list or ():
            if isinstance(name, str) and self._sensitive_kind(name):
                raise TypeError(f"{type(self).__name__} searches the personal column {name!r}; "
                                f"search it through core.privacy.matches instead")
        for name in self.column_editable_list or ():
            if isinstance(name, str) and self._sensitive_kind(name):
                raise TypeError(f"{type(self).__name__} edits the personal column {name!r} in its list, "
                                f"where it cannot be sealed; edit it in the form")
        for flt in self._filters or ():
            column = getattr(flt, "column", None)
            if column is not None and hasattr(column, "info") and privacy.kind_of(column):
                raise TypeError(f"{type(self).__name__} filters on the personal column {column.key!r}")

    def get_sortable_columns(self):
        """Never by a personal column: sorting around a row of one's own making would bisect the
        hidden value (a birth date, a number) of the rows beside it."""
        return {name: column for name, column in super().get_sortable_columns().items()
                if not (isinstance(name, str) and self._sensitive_kind(name))}

    def _sensitive_kind(self, name, model=None):
        """The declared kind of a column name, dotted through relationships ("member.phone")."""
        model = model or self.model
        *path, last = name.split(".")
        for part in path:
            relationship = inspect(model).relationships.get(part)
            if relationship is None:
                return None
            model = relationship.mapper.class_
        return privacy.columns(model).get(last)

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
        return self._seal_sensitive(self._scope_choices(super().edit_form(obj), obj), obj)

    def _seal_sensitive(self, form, obj):
        """Without the right, a personal field shows its masked value read-only and saving the
        form leaves the stored value as it was: nobody overwrites what they may not read."""
        if obj is None or privacy.sees_sensitive():
            return form
        for field in form:
            if hasattr(field, "entries"):  # inline models: each sub-form edits its own row
                for entry in field.entries:
                    row = getattr(entry, "object_data", None)
                    if hasattr(entry, "form") and row is not None:
                        self._seal_sensitive_fields(entry.form, row)
        self._seal_sensitive_fields(form, obj)
        return form

    def _seal_sensitive_fields(self, form, obj):
        declared = privacy.columns(type(obj))
        for field in form:
            kind = declared.get(field.short_name)
            if not kind:
                continue
            masked = privacy.reveal(getattr(obj, field.short_name), kind)
            field.validators, field.process_errors, field.errors = [], [], []
            field.flags.required = False
            field.raw_data = None
            field.data = None
            field._value = lambda masked=masked: "" if masked is None else str(masked)
            field.populate_obj = lambda obj, name: None
            field.render_kw = {**(field.render_kw or {}), "readonly": True}
            field.description = _("无权查看完整信息，保存时不会修改")

    def _scope_choices(self, form, obj=None):
        """A select field offers, and accepts, only rows the staffer may link to (inline forms too). A link
        the record already has outside those rows (a shared member's other community) is shown read-only
        and kept on save: offered nothing to match it, the form would post it back empty."""
        for field in form:
            if isinstance(field, (QuerySelectField, QuerySelectMultipleField)) and field.query_factory:
                base = field.query_factory
                model = base().column_descriptions[0]["entity"]
                field.query_factory = lambda base=base, model=model: base().filter(visible(model))
                field.query = None
                if obj is not None and not isinstance(field, QuerySelectMultipleField) and hasattr(obj, field.name):
                    _keep_link_outside(field, obj, base, model)
            if hasattr(field, "entries"):  # inline models: a list of sub-forms
                for entry in field.entries:
                    if hasattr(entry, "form"):
                        self._scope_choices(entry.form, getattr(entry, "object_data", None))
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
            raise ValidationError.single("__all__", str(scope.OUT_OF_SCOPE))

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
                               table=self.model.__tablename__, note=_without_search(request.args))
