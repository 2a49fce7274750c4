"""The member page's 接管 panel: the takeover, this year's 五个一, trainings and referrals."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.plugin_api import Panel, db

from .models import OUTCOMES, REASONS, FiveOnes, Referral, TakeoverRecord, Training


def member_panels(member):
    records = db.session.scalars(select(TakeoverRecord).where(TakeoverRecord.member_id == member.id)
                                 .order_by(TakeoverRecord.id.desc())).all()
    year = dt.date.today().year
    five_ones = db.session.scalar(select(FiveOnes).where(FiveOnes.member_id == member.id, FiveOnes.year == year))
    trainings = db.session.scalars(select(Training).where(Training.member_id == member.id)
                                   .order_by(Training.starts_on.desc())).all()
    referrals = db.session.scalars(select(Referral).where(Referral.member_id == member.id)
                                   .order_by(Referral.referred_on.desc())).all()
    if not (records or five_ones or trainings or referrals):
        return []
    return [Panel(title=_l("接管"), template="takeover/panel.html", order=40,
                  context={"records": records, "five_ones": five_ones, "year": year, "trainings": trainings,
                           "referrals": referrals, "reasons": {k: str(v) for k, v in REASONS.items()},
                           "outcomes": {k: str(v) for k, v in OUTCOMES.items()}})]
