"""Self-service registration (自助报到): a public form any in-service member may fill in.

It is rate-limited per address, and its answer is the same whether or not the person is
known: staff match the submission to a member when they approve it.
"""
import datetime as dt

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from core.plugin_api import Organization, ValidationError, db, utcnow

from .models import Signup

bp = Blueprint("dual_public", __name__, url_prefix="/dual")


class SignupForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=60)])
    id_number = StringField(_l("身份证号码"), validators=[DataRequired(), Length(min=15, max=18)])
    phone = StringField(_l("联系电话"), validators=[DataRequired(), Length(max=32)])
    employer = StringField(_l("工作单位"), validators=[DataRequired(), Length(max=120)])
    community = SelectField(_l("居住地社区"), coerce=int, validators=[DataRequired()])


def _address():
    return (request.remote_addr or "unknown")[:64]


def limited(address):
    settings = current_app.config["PLUGINS"]["dual"]
    since = utcnow() - dt.timedelta(minutes=settings["signup_window_minutes"])
    recent = db.session.scalar(select(func.count(Signup.id)).where(Signup.address == address,
                                                                    Signup.submitted_at >= since))
    return recent >= settings["signup_limit"]


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = SignupForm()
    form.community.choices = [(o.id, o.name) for o in db.session.scalars(
        select(Organization).where(Organization.kind == "community").order_by(Organization.code))]
    if request.method == "POST" and limited(_address()):
        return render_template("dual/register.html", form=form,
                               error=_("提交过于频繁，请稍后再试")), 429
    if form.validate_on_submit():
        signup = Signup(name=form.name.data.strip(), id_number=form.id_number.data.strip(),
                        phone=form.phone.data.strip(), employer=form.employer.data.strip(),
                        org=db.session.get(Organization, form.community.data), address=_address(),
                        submitted_at=utcnow())
        db.session.add(signup)
        try:
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            for field, messages in exc.errors.items():
                target = form.community if field == "org" else getattr(form, field, None)
                if target is not None:
                    target.errors = list(target.errors) + messages
            return render_template("dual/register.html", form=form), 400
        # The same answer for everyone: nothing here says whether the person is a known member.
        return render_template("dual/register.html", form=None, done=True)
    return render_template("dual/register.html", form=form), (400 if request.method == "POST" else 200)
