"""Moving a member between categories, and so from one mode into another: one audited function.

Every way a category changes (this function, the member's edit form) goes through `moved`,
so the member remembers the category they left and every plugin hears of the move
(`wuguan_member_category_changed`) inside the same transaction: a mode closes its records
of the member, or opens new ones, atomically with the move, and a plugin that raises stops it.
"""
from contextlib import nullcontext

from flask_babel import gettext as _

from . import audit
from .errors import ValidationError
from .extensions import db
from .plugins import host


def change_category(member, new, reason, staff=None):
    """Move `member` into category `new` for `reason`; commits, or changes nothing and raises."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.single("reason", _("变更类别须填写理由"))
    if new not in host().categories:
        raise ValidationError.single("category", _("类别“%(c)s”不属于任何已启用的管理方式", c=new))
    old = member.category
    if new == old:
        raise ValidationError.single("category", _("该党员已属于此类别"))
    actor = audit.acting_as(staff.username, staff.id) if staff is not None else nullcontext()
    with actor:
        try:
            member.category = new
            moved(member, old, new)
            audit.record(db.session, "member", "update", _("变更类别：%(old)s → %(new)s，理由：%(reason)s",
                                                           old=old, new=new, reason=reason),
                         after={"member_id": member.id, "category": new, "previous_category": old})
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return member


def moved(member, old, new):
    """What every change of category does, in the caller's transaction: remember the category left
    and let each plugin react."""
    member.previous_category = old
    host().hook.wuguan_member_category_changed(member=member, old=old, new=new)
