"""The member's page: registration, post, hours this year and evaluations."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.plugin_api import Panel, db

from .models import GRADES, REGISTRATION_STATES, Evaluation, Registration, Service


def panels(member):
    if member.category != "in_service":
        return []
    year = dt.date.today().year
    registrations = db.session.scalars(select(Registration).where(Registration.member_id == member.id)
                                       .order_by(Registration.registered_on.desc())).all()
    times, hours = db.session.execute(
        select(func.count(Service.id), func.coalesce(func.sum(Service.hours), 0))
        .where(Service.member_id == member.id, Service.served_on >= dt.date(year, 1, 1),
               Service.served_on < dt.date(year + 1, 1, 1))).one()
    evaluations = db.session.scalars(select(Evaluation).where(Evaluation.member_id == member.id)
                                     .order_by(Evaluation.period.desc())).all()
    return [Panel(title=_l("双管：到社区报到"), template="dual/panel.html", order=30, context={
        "registrations": registrations, "year": year, "times": times, "hours": round(float(hours), 1),
        "evaluations": evaluations, "states": {k: str(v) for k, v in REGISTRATION_STATES.items()},
        "grades": {k: str(v) for k, v in GRADES.items()}})]
