"""Log in, log out, change password, choose language; failed log-ins throttled per account and address."""
import datetime as dt
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, has_request_context, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, insert, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import audit
from ..extensions import db
from ..models import LoginAttempt, Staff
from ..models.base import utcnow

bp = Blueprint("auth", __name__)
LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
MIN_PASSWORD = 10


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired()])
    password = PasswordField(_l("密码"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired()])
    new = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=MIN_PASSWORD)])
    confirm = PasswordField(_l("确认新密码"), validators=[EqualTo("new", message=_l("两次输入的新密码不一致"))])


def safe_target(target, fallback):
    """Only paths on this site: an open redirect would let a phishing link borrow our log-in page."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def client_address():
    return (request.remote_addr or "unknown")[:64]


def throttled(username, address):
    """Too many recent failures for this account or from this address: refuse before checking the password."""
    cfg = current_app.config
    since = utcnow() - dt.timedelta(minutes=cfg.get("LOGIN_THROTTLE_MINUTES", 15))
    failures = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since,
                                                                    LoginAttempt.success.is_(False))
    by_account = db.session.scalar(failures.where(LoginAttempt.username == username))
    by_address = db.session.scalar(failures.where(LoginAttempt.address == address))
    return by_account >= cfg.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5) or \
        by_address >= cfg.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data.strip(), client_address()
        if throttled(username, address):
            flash(_("登录失败次数过多，请稍后再试"), "error")
            return render_template("auth/login.html", form=form), 429
        staff = db.session.scalar(select(Staff).where(Staff.username == username))
        ok = staff is not None and staff.active and staff.check_password(form.password.data)
        db.session.execute(insert(LoginAttempt).values(at=utcnow(), username=username[:60], address=address,
                                                       success=ok))
        if ok:
            staff.last_login_at = utcnow()
            db.session.commit()
            login_user(staff)
            session.permanent = True
            return redirect(safe_target(request.args.get("next"), url_for("admin.index")))
        db.session.commit()
        flash(_("用户名或密码错误"), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("当前密码不正确"))
        else:
            current_user.set_password(form.new.data)
            audit.record(db.session, "staff", "password", _("修改了自己的密码"))
            db.session.commit()
            flash(_("密码已修改"), "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/lang/<code>")
def set_language(code):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_target(request.referrer and urlsplit(request.referrer).path, url_for("admin.index")))


def select_locale():
    chosen = session.get("lang") if has_request_context() else None
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]
