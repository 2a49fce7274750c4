"""The organization tree: a CRUD screen and an expandable tree of the staffer's subtree."""
from flask import Response, abort, has_request_context
from flask_admin import BaseView, expose
from flask_admin.model.template import LinkRowAction
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import inspect, select

from ... import scope
from ...errors import ValidationError
from ...extensions import db
from ...models import Organization
from ...models.organizations import KINDS
from ..scoped import ScopedModelView, StaffOnly
from .labels import choice_formatter, choice_list, labels


def org_options(*kinds):
    """Filter options: organizations of these kinds that the staffer can see, computed per request."""
    def options():
        if not has_request_context() or not current_user.is_authenticated:
            return []
        rows = db.session.execute(select(Organization.id, Organization.name)
                                  .where(Organization.kind.in_(kinds), scope.clause(Organization))
                                  .order_by(Organization.path)).all()
        return [(str(i), n) for i, n in rows]
    return options


class OrganizationView(ScopedModelView):
    column_list = ["name", "kind", "code", "parent", "contact_person", "phone"]
    column_labels = labels("name", "kind", "code", "parent", "contact_person", "phone", "address", "email")
    column_searchable_list = ["name", "code"]
    column_sortable_list = ["name", "kind", "code"]
    column_default_sort = "path"
    column_formatters = {"kind": choice_formatter(KINDS)}
    column_filters = ["kind"]
    form_columns = ["parent", "kind", "name", "code", "address", "contact_person", "phone", "email"]
    form_choices = {"kind": choice_list(KINDS)}
    column_details_list = form_columns
    column_extra_row_actions = [
        LinkRowAction("fa fa-file-excel-o", "roster/{row_id}/xlsx", title=_l("花名册（XLSX）")),
        LinkRowAction("fa fa-file-pdf-o", "roster/{row_id}/pdf", title=_l("花名册（PDF）")),
    ]

    @expose("/roster/<int:org_id>/<fmt>")
    def roster_view(self, org_id, fmt):
        """The roster of an organization in the staffer's scope, in the layout branches keep."""
        from urllib.parse import quote
        from ... import audit, roster
        org = self.get_one(org_id)
        if fmt == "xlsx":
            title, body = roster.branch_roster_xlsx(org, current_user)
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        elif fmt == "pdf":
            title, body = roster.branch_roster_pdf(org, current_user)
            mimetype = "application/pdf"
        else:
            abort(404)
        audit.record(db.session, "member", "export", f"{fmt} {title}"[:255])
        db.session.commit()
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(org.name + '花名册.' + fmt)}"})

    def on_model_change(self, form, model, is_created):
        """A new parent moves the whole subtree, in one statement, and only for a staffer whose scope
        holds both parents: a community may not hand itself to another street, nor a street take one."""
        if not is_created:
            history = inspect(model).attrs.parent.history
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if history.added and old is not new:
                wanted = {org.id for org in (old, new) if org is not None}
                if None in (old, new) and not scope.is_admin(current_user) \
                        or scope.orgs_inside(wanted) != wanted:
                    raise ValidationError.single("parent", _("调整上级组织须由同时管理原上级和新上级的党组织办理"))
                model.move_to(new)
        super().on_model_change(form, model, is_created)


class OrganizationTreeView(StaffOnly, BaseView):
    """Street → communities → branches and liaison groups, as nested <details>."""

    @expose("/")
    def index(self):
        orgs = db.session.scalars(select(Organization).where(scope.clause(Organization))
                                  .order_by(Organization.depth, Organization.name)).all()
        ids = {o.id for o in orgs}
        children = {}
        for org in orgs:
            children.setdefault(org.parent_id if org.parent_id in ids else None, []).append(org)
        return self.render("admin/org_tree.html", roots=children.get(None, []), children=children, kinds=KINDS)
