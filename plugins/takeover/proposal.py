"""就近: the branches a member may be taken into, nearest to the member's building first."""
from sqlalchemy import and_, case, select

from core.plugin_api import Organization, db, visible

from .models import BRANCH_KINDS, BranchDistance


def proposed_branches(member, only_visible=True):
    """[(branch, metres or None)] of the member's community, by distance from the member's building; branches
    without a recorded distance come last, by name. `only_visible` keeps those the current staffer may link to."""
    if member is None or member.location is None:
        return []
    distance = BranchDistance
    query = (select(Organization, distance.metres)
             .outerjoin(distance, and_(distance.branch_id == Organization.id,
                                       distance.community_id == member.location_id,
                                       distance.building == (member.building or "")))
             .where(Organization.kind.in_(BRANCH_KINDS), Organization.in_subtree(member.location.path))
             .order_by(case((distance.metres.is_(None), 1), else_=0), distance.metres, Organization.name))
    if only_visible:
        query = query.where(visible(Organization))
    return [(org, metres) for org, metres in db.session.execute(query).all()]
