"""The identity conflict queue: cases core.identity filed, for the staff of the lowest organization
above both sides, who merge, transfer or reject them. Each action is a change to audited rows."""
import datetime as dt

from flask import flash
from flask_admin.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from ...errors import ValidationError
from ...extensions import db
from ...models import IdentityConflict, Organization, Transfer
from ...models.base import utcnow
from ...models.conflicts import SOURCES, STATES
from ..scoped import ScopedModelView
from .labels import LABELS, choice_formatter

COLUMN_LABELS = {**LABELS, "created_at": _l("提交时间"), "name": _l("申请方填写的姓名"),
                 "asker_org": _l("申请方党组织"), "source": _l("来源"), "state": _l("状态"),
                 "asked_by": _l("申请人"), "resolved_by": _l("处理人"), "resolved_at": _l("处理时间"),
                 "ancestor": _l("处理党组织")}


class ConflictView(ScopedModelView):
    allow_create = allow_delete = False
    column_list = ["created_at", "member", "name", "id_number", "asker_org", "source", "state", "resolved_by",
                   "note"]
    column_details_list = column_list + ["ancestor", "asked_by", "resolved_at"]
    column_labels = COLUMN_LABELS
    column_default_sort = ("created_at", True)
    column_filters = ["state", "source"]
    column_formatters = {"source": choice_formatter(SOURCES), "state": choice_formatter(STATES)}
    form_columns = ["note"]

    def _resolve(self, ids, state, apply):
        """Apply `apply(conflict)` to each open conflict selected, one commit each: one that breaks a rule
        is reported and the others still go through."""
        done = 0
        for conflict in self.get_query().filter(IdentityConflict.id.in_(self.coerce_ids(ids)),
                                                IdentityConflict.state == "open").all():
            try:
                apply(conflict)
                conflict.state, conflict.resolved_by_id, conflict.resolved_at = state, current_user.id, utcnow()
                db.session.commit()
            except ValidationError as exc:
                db.session.rollback()
                flash(str(exc), "error")
                continue
            done += 1
        if done:
            flash(_("已处理%(n)d条身份冲突", n=done), "success")

    @action("merge", _l("合并（同一人，登记在申请方社区居住）"),
            _l("确认所选冲突中系统内党员与申请方所报为同一人，并将其所在社区改为申请方社区？"))
    def action_merge(self, ids):
        self._resolve(ids, "merged", _merge)

    @action("transfer", _l("转接组织关系到申请方"), _l("为所选冲突中的党员开具转往申请方党组织的介绍信？"))
    def action_transfer(self, ids):
        self._resolve(ids, "transferred", _transfer)

    @action("reject", _l("驳回"), _l("驳回所选冲突（系统内记录不变）？"))
    def action_reject(self, ids):
        self._resolve(ids, "rejected", lambda conflict: None)


def _community_of(org):
    """The community at or above `org` (None above the communities)."""
    ids = org.ancestor_ids()
    return db.session.scalars(db.select(Organization).where(Organization.id.in_(ids),
                                                            Organization.kind == "community")).first()


def _merge(conflict):
    """One person: the record stays, and they now live where the asker said (既管所属、又管所在)."""
    member, community = conflict.member, _community_of(conflict.asker_org)
    if community is None:
        raise ValidationError.single("__all__", _("申请方不在任何社区之下，无法合并；请转接或驳回"))
    if member.liaison_group is not None and not community.contains(member.liaison_group):
        member.liaison_group = None
    member.location = community


def _transfer(conflict):
    """组织关系转接 to the asker's organization: the letter is issued here, received there as any other."""
    member = conflict.member
    db.session.add(Transfer(member=member, direction="internal", within_city=True, from_org=member.affiliation,
                            from_org_name=None if member.affiliation else (member.work_unit.name
                                                                           if member.work_unit else None),
                            to_org=conflict.asker_org, letter_no=f"HC{conflict.id:08d}", issued_on=dt.date.today()))
