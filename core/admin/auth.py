"""Log in (password, then the TOTP code when enrolled), log out, change password, enrol TOTP, choose language.

Sessions are decided in `sessions`, throttling in `throttle`, the password rule in `core.passwords`.
Every refusal says the same whether or not the account exists.
"""
import functools
import time
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, has_request_context, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from .. import audit, passwords
from ..extensions import db
from ..models import Staff
from ..models.base import utcnow
from . import sessions, throttle, totp

bp = Blueprint("auth", __name__)
LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
PENDING_SECONDS = 300  # between the right password and the TOTP code
# Pages a staffer who must enrol TOTP may still open.
BEFORE_ENROLMENT = {"auth.totp_enrol", "auth.logout", "auth.set_language", "auth.login", "auth.login_code", "static"}


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired()])
    password = PasswordField(_l("密码"), validators=[DataRequired()])


class CodeForm(FlaskForm):
    code = StringField(_l("验证码"), validators=[DataRequired()], description=_l("身份验证器应用中显示的 6 位数字"),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


def strong_password(form, field):
    """The rule of `core.passwords`, against the logged-in staffer's own names."""
    found = passwords.problems(field.data or "", current_user.username, current_user.display_name)
    if found:
        raise ValidationError(found[0])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired()])
    new = PasswordField(_l("新密码"), validators=[DataRequired(), strong_password],
                        description=passwords.RULE)
    confirm = PasswordField(_l("确认新密码"), validators=[EqualTo("new", message=_l("两次输入的新密码不一致"))])


def safe_target(target, fallback):
    """Only paths on this site: an open redirect would let a phishing link borrow our log-in page."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


@functools.cache
def _decoy_hash():
    return generate_password_hash("not a password", method="scrypt")


def _password_matches(staff, password):
    """Hash even for a name with no account, so the time taken does not tell whether it exists."""
    if staff is None:
        check_password_hash(_decoy_hash(), password)
        return False
    return staff.check_password(password) and staff.active


def _refused(template, form, message):
    flash(message, "error")
    return render_template(template, form=form), 429


def _logged_in(staff, username, address, target):
    throttle.record(username, address, True)
    staff.last_login_at = utcnow()
    db.session.commit()
    sessions.start(staff)
    if totp.must_enrol(staff, current_app.config["WUGUAN_TOTP_REQUIRED"]):
        return redirect(url_for("auth.totp_enrol"))
    return redirect(safe_target(target, url_for("admin.index")))


@bp.route("/")
def root():
    return redirect(url_for("admin.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data.strip()[:60], throttle.client_address()
        refusal = throttle.refusal(username, address)
        if refusal:
            return _refused("auth/login.html", form, refusal)
        staff = db.session.scalar(select(Staff).where(Staff.username == username))
        if not _password_matches(staff, form.password.data):
            throttle.record(username, address, False)
            db.session.commit()
            flash(_("用户名或密码错误"), "error")
        elif staff.totp_enrolled:
            # The attempt is recorded (and counted) once the code is given.
            session[sessions.PENDING] = {"staff": staff.id, "version": staff.session_version, "at": time.time(),
                                         "next": safe_target(request.args.get("next"), None)}
            return redirect(url_for("auth.login_code"))
        else:
            return _logged_in(staff, username, address, request.args.get("next"))
    return render_template("auth/login.html", form=form)


def _pending_staff():
    pending = session.get(sessions.PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None, None
    staff = db.session.get(Staff, pending["staff"])
    if staff is None or not staff.active or staff.session_version != pending["version"] or not staff.totp_enrolled:
        return None, None
    return staff, pending


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    staff, pending = _pending_staff()
    if staff is None:
        session.pop(sessions.PENDING, None)
        flash(_("请重新登录"), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        address = throttle.client_address()
        refusal = throttle.refusal(staff.username, address)
        if refusal:
            return _refused("auth/code.html", form, refusal)
        if totp.verify(staff, form.code.data):
            return _logged_in(staff, staff.username, address, pending["next"])
        throttle.record(staff.username, address, False)
        db.session.commit()
        form.code.errors.append(_("验证码不正确或已用过"))
    return render_template("auth/code.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    sessions.log_out(current_user if current_user.is_authenticated else None)
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
            staff = current_user._get_current_object()
            staff.set_password(form.new.data)
            audit.record(db.session, "staff", "password", _("修改了自己的密码"))
            sessions.restart(staff)
            db.session.commit()
            flash(_("密码已修改，其他设备上的登录已失效"), "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/totp", methods=["GET", "POST"])
@login_required
def totp_enrol():
    staff = current_user._get_current_object()
    if staff.totp_enrolled:
        return render_template("auth/totp.html", form=None, staff=staff)
    form = CodeForm()
    if form.validate_on_submit():
        if totp.confirm(staff, form.code.data):
            sessions.restart(staff)
            db.session.commit()
            flash(_("两步验证已启用，其他设备上的登录已失效"), "success")
            return redirect(url_for("admin.index"))
        form.code.errors.append(_("验证码不正确，请对照应用中当前显示的数字重新输入"))
    secret = totp.pending_secret(staff)
    db.session.commit()
    return render_template("auth/totp.html", form=form, staff=staff, secret=secret, qr=totp.qr_data_uri(staff),
                           required=totp.required(staff, current_app.config["WUGUAN_TOTP_REQUIRED"]))


@bp.before_app_request
def enrol_first():
    """A staffer who must use TOTP sees nothing but the enrolment page until enrolled."""
    setting = current_app.config["WUGUAN_TOTP_REQUIRED"]
    if not setting or request.endpoint in BEFORE_ENROLMENT or (request.endpoint or "").endswith(".static"):
        return None
    if current_user.is_authenticated and totp.must_enrol(current_user, setting):
        return redirect(url_for("auth.totp_enrol"))
    return None


@bp.route("/lang/<code>")
def set_language(code):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_target(request.referrer and urlsplit(request.referrer).path, url_for("admin.index")))


def select_locale():
    chosen = session.get("lang") if has_request_context() else None
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]
