"""Identity questions (does this 身份证 belong to a member?) answered only inside the asker's scope.

Every path that matches people by 身份证 (a roster import, an employer's list, the approval of a public
自助报到, a new member's form) asks here. A number held by a member outside the asker's scope gets
REFUSAL, a sentence that names nobody and no organization, and the case is filed for the staff of
the lowest organization above both sides, who alone see both and settle it (core.admin.views.conflicts).
"""
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from . import idcard, scope
from .errors import ValidationError
from .extensions import db
from .models import IdentityConflict, Member, Organization
from .models.organizations import SEPARATOR

# True of every refusal it stands for, and naming nobody: the same words whether or not someone else holds the number.
REFUSAL = _l("该身份证号码无法在本组织登记；如涉及其他党组织，已提交上级党组织核查")


def refusal():
    return str(REFUSAL)


def normalized(number):
    """The number as stored, or None when it is not a valid 身份证 (the model's rules say why)."""
    try:
        return idcard.parse(number).number
    except ValidationError:
        return None


def lowest_common_ancestor(orgs):
    """The deepest organization whose subtree holds every one of `orgs` (None if they share no root)."""
    chains = [org.path.strip(SEPARATOR).split(SEPARATOR) for org in orgs if org is not None]
    common = None
    for ids in zip(*chains):
        if len(set(ids)) > 1:
            break
        common = int(ids[0])
    return common


def linkable(values, inside):
    """May the staffer link this member to her organizations: the member is in her scope and, where
    recorded, lives in it (linking someone who lives elsewhere would take them from that community).
    `values` maps scope.MEMBER_ORG_COLUMNS; `inside` is scope.orgs_inside of them for the staffer."""
    location = values.get("location_id")
    return scope.holds_member(values, inside) and (location is None or location in inside)


def refer(member_id, id_number, staff, source, name=None):
    """File the case for the common ancestor's staff, once while it is open; the caller commits."""
    if getattr(staff, "org", None) is None:  # administrators and the command line see every member
        return None
    filed = db.session.scalar(select(IdentityConflict).where(
        IdentityConflict.member_id == member_id, IdentityConflict.asker_org_id == staff.org.id,
        IdentityConflict.source == source, IdentityConflict.state == "open"))
    if filed is not None:
        return filed
    affiliation_id, location_id = db.session.execute(
        select(Member.affiliation_id, Member.location_id).where(Member.id == member_id)).one()
    held_by = db.session.scalars(select(Organization).where(
        Organization.id.in_({i for i in (affiliation_id, location_id) if i is not None}))).all()
    # A member no organization holds (a work unit's only) is the administrators' to place.
    ancestor = lowest_common_ancestor([staff.org, *held_by]) if held_by else None
    conflict = IdentityConflict(member_id=member_id, id_number=id_number, name=name, asker_org_id=staff.org.id,
                                ancestor_id=ancestor, source=source, asked_by_id=staff.id)
    db.session.add(conflict)
    return conflict


def refer_all(referrals, staff, source):
    """File a batch's cases ((member id, 身份证, name) each) and commit them on their own: an import that
    refuses its file still reports what it found, so the case is not asked again and again unseen."""
    for member_id, number, name in referrals:
        refer(member_id, number, staff, source, name)
    if referrals:
        db.session.commit()


def check_new_holder(number, staff, source, name=None, exclude_id=None):
    """For a form about to give `number` to a member: None if no other member holds it, else the message
    to show (the holder's name when she is in scope; REFUSAL, and a filed case, when she is not)."""
    number = normalized(number)
    if number is None:
        return None
    query = (select(Member.id, Member.name, Member.affiliation_id, Member.location_id)
             .where(Member.id_number == number))
    if exclude_id is not None:
        query = query.where(Member.id != exclude_id)
    holder = db.session.execute(query).one_or_none()
    if holder is None:
        return None
    inside = scope.orgs_inside({holder.affiliation_id, holder.location_id}, staff)
    if scope.holds_member(holder._asdict(), inside):
        return _("该身份证号码已由您管理范围内的党员“%(n)s”使用", n=holder.name)
    refer(holder.id, number, staff, source, name)
    db.session.commit()
    return refusal()
