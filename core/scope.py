"""Which rows a staffer may see: the one place the organization-tree scope is decided.

Every admin screen, ajax lookup, select field and export asks `clause(model)`; a model
without a rule is invisible to everyone but administrators, so a new screen that
forgets to declare its scope shows nothing rather than everything.
"""
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, or_, select, true

from .extensions import db
from .models import (Activity, Attendance, AuditEntry, IdentityConflict, Member, Organization, Staff, Transfer,
                     WorkUnit)
from .models.bulletins import Bulletin
from .models.findings import Finding, SweepRun
from .models.outbox import InboxItem, OutboxMessage

_RULES = {}
# The member's links that put them in a scope (既管所属、又管所在); the rule and the unwritten-row check share them.
MEMBER_ORG_COLUMNS = ("affiliation_id", "location_id")
# What every write path says when its row would land outside the writer's scope.
OUT_OF_SCOPE = _l("保存后该记录将超出您的管理范围，未保存")
# A subtree of at most this many organizations reaches the rules as a list of ids (see `subtree`).
LISTED_SUBTREE_MAX = 2000


class Operator:
    """Who the command line acts as: the whole city, like an administrator."""
    id = None
    username = "cli"
    role = "admin"
    org = None
    is_authenticated = True


OPERATOR = Operator()


def rule(model, orgs=True):
    """Register how rows of `model` relate to the tree: fn(orgs, staff) -> clause, `orgs` the subtree's
    org ids (a list or a Select: use it only as `column.in_(orgs)`), or None for a rule declared
    with orgs=False, which spares the statement that lists them."""
    def register(fn):
        _RULES[model] = (fn, orgs)
        return fn
    return register


def has_rule(model):
    return model in _RULES


def is_admin(staff):
    return getattr(staff, "role", None) == "admin"


def subtree_ids(path):
    return select(Organization.id).where(Organization.in_subtree(path))


def subtree(path):
    """The organizations a rule sees: a list of ids when the subtree is small, else a subquery.

    Given a subquery, PostgreSQL cannot tell how few members a street holds: to show a
    street's first page of a pinyin search it walked the whole member table in id order
    (260 ms at a million). Given the ids it estimates from its statistics and combines
    the indexes. A subtree too big to list holds so much of the city that the walk soon fills a page."""
    with db.session.no_autoflush:  # scopes are asked mid-form too, with a half-filled row pending
        ids = db.session.scalars(subtree_ids(path).limit(LISTED_SUBTREE_MAX + 1)).all()
    return ids if len(ids) <= LISTED_SUBTREE_MAX else subtree_ids(path)


def clause(model, staff=None):
    """A SQL condition: the rows of `model` that `staff` (the logged-in staffer by default) may see."""
    staff = current_user if staff is None else staff
    if not getattr(staff, "is_authenticated", False):
        return false()
    if is_admin(staff):
        return true()
    if staff.org is None or model not in _RULES:
        return false()
    fn, orgs = _RULES[model]
    return fn(subtree(staff.org.path) if orgs else None, staff)


def linkable_orgs(staff=None):
    """Organizations a record may point at: the staffer's subtree and the chain above it
    (a branch secretary's member still lives in her community)."""
    staff = current_user if staff is None else staff
    if is_admin(staff):
        return true()
    if staff.org is None:
        return false()
    return or_(Organization.in_subtree(staff.org.path), Organization.id.in_(staff.org.ancestor_ids()))


def orgs_inside(ids, staff=None):
    """Which of these organization ids lie in the staffer's subtree (all of them, for administrators)."""
    staff = current_user if staff is None else staff
    ids = {i for i in ids if i is not None}
    if is_admin(staff):
        return ids
    if not ids or getattr(staff, "org", None) is None:
        return set()
    with db.session.no_autoflush:
        return set(db.session.scalars(select(Organization.id).where(Organization.id.in_(ids),
                                                                     Organization.in_subtree(staff.org.path))))


def holds_member(values, inside):
    """The Member rule on a row not written yet: `values` maps MEMBER_ORG_COLUMNS to ids, `inside` is
    `orgs_inside` of them. Imports ask this where the form asks the database after its flush."""
    return any(values.get(column) in inside for column in MEMBER_ORG_COLUMNS)


def _member_links(orgs):
    return or_(*(getattr(Member, column).in_(orgs) for column in MEMBER_ORG_COLUMNS))


def member_ids(orgs):
    return select(Member.id).where(_member_links(orgs))


@rule(Organization, orgs=False)
def _organizations(orgs, staff):
    return Organization.in_subtree(staff.org.path)


@rule(Member)
def _members(orgs, staff):
    """既管所属、又管所在: a member is in scope by affiliation or by the community they live in."""
    return _member_links(orgs)


@rule(IdentityConflict)
def _identity_conflicts(orgs, staff):
    """A conflict is for the staff of the lowest organization above both sides (and those above them):
    neither side alone may see the other's member."""
    return IdentityConflict.ancestor_id.in_(orgs)


@rule(Transfer)
def _transfers(orgs, staff):
    return or_(Transfer.member_id.in_(member_ids(orgs)), Transfer.from_org_id.in_(orgs), Transfer.to_org_id.in_(orgs))


@rule(Activity)
def _activities(orgs, staff):
    return Activity.org_id.in_(orgs)


@rule(Attendance)
def _attendance(orgs, staff):
    return Attendance.activity_id.in_(select(Activity.id).where(Activity.org_id.in_(orgs)))


@rule(Staff)
def _staff(orgs, staff):
    return Staff.org_id.in_(orgs)


@rule(WorkUnit, orgs=False)
def _work_units(orgs, staff):
    """Units are the city's shared address book of employers: every staffer may look them up."""
    return true()


@rule(AuditEntry)
def _audit(orgs, staff):
    return AuditEntry.actor_id.in_(select(Staff.id).where(Staff.org_id.in_(orgs)))


@rule(Finding)
def _findings(orgs, staff):
    return Finding.org_id.in_(orgs)


@rule(SweepRun)
def _sweep_runs(orgs, staff):
    return SweepRun.org_id.in_(orgs)


@rule(OutboxMessage)
def _outbox(orgs, staff):
    return OutboxMessage.org_id.in_(orgs)


@rule(Bulletin)
def _bulletins(orgs, staff):
    """Employers' bulletins have no organization: administrators see them."""
    return Bulletin.org_id.in_(orgs)


@rule(InboxItem, orgs=False)
def _inbox(orgs, staff):
    return InboxItem.staff_id == staff.id
