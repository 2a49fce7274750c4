"""The member's page: the mobile record, last contacts per party, the card and the temporary relationship."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.plugin_api import Panel, db

from .models import DIRECTIONS, PARTIES, REASONS, RECORD_STATES, Card, Contact, MobileRecord, TempRelation


def panel(member):
    records = db.session.scalars(select(MobileRecord).where(MobileRecord.member_id == member.id)
                                 .order_by(MobileRecord.since.desc())).all()
    if not records:
        return []
    last = dict(((rid, party), day) for rid, party, day in db.session.execute(
        select(Contact.record_id, Contact.party, func.max(Contact.contacted_on))
        .where(Contact.member_id == member.id).group_by(Contact.record_id, Contact.party)))
    items = [{"record": r, "direction": DIRECTIONS.get(r.direction, r.direction),
              "reason": REASONS.get(r.reason, r.reason), "state": RECORD_STATES.get(r.state, r.state),
              "last": [(title, last.get((r.id, key))) for key, title in PARTIES.items()]} for r in records]
    cards = db.session.scalars(select(Card).where(Card.member_id == member.id).order_by(Card.issued_on)).all()
    relations = db.session.scalars(select(TempRelation).where(TempRelation.member_id == member.id)
                                   .order_by(TempRelation.started_on)).all()
    return [Panel(title=_l("协管：流动党员"), template="assist/panel.html",
                  context={"records": items, "cards": cards, "relations": relations}, order=50)]
