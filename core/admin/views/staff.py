from flask import flash
from flask_babel import gettext as _, lazy_gettext as _l
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy import inspect
from wtforms import PasswordField
from wtforms.validators import Optional

from ... import passwords
from ...errors import ValidationError
from ...extensions import db
from ...models.base import utcnow
from ...models.staff import ROLES
from .. import sessions, totp
from ..scoped import ScopedModelView
from .labels import choice_formatter, choice_list, labels


def _enrolled(view, context, model, name):
    return _("已启用") if model.totp_enrolled else ""


class StaffView(ScopedModelView):
    """Staff accounts: administrators only. A new password, or deactivation, ends the account's sessions."""
    write_roles = ("admin",)
    can_export = False
    column_list = ["username", "display_name", "role", "org", "can_see_sensitive", "active", "totp", "last_login_at"]
    # Named, so no secret column (password hash, TOTP secret) ever shows on the details page.
    column_details_list = [*column_list, "unlocked_at", "created_at", "updated_at"]
    column_labels = {**labels("username", "display_name", "role", "org", "can_see_sensitive", "active",
                              "last_login_at"),
                     "totp": _l("两步验证"), "unlocked_at": _l("最近解除登录锁定"), "created_at": _l("创建时间"),
                     "updated_at": _l("修改时间")}
    column_searchable_list = ["username", "display_name"]
    column_filters = ["role", "active"]
    column_formatters = {"role": choice_formatter(ROLES), "totp": _enrolled}
    form_columns = ["username", "display_name", "role", "org", "can_see_sensitive", "active", "new_password"]
    form_choices = {"role": choice_list(ROLES)}
    form_extra_fields = {"new_password": PasswordField(
        _l("新密码"), validators=[Optional()],
        description=_l("新建账号必填；修改时留空则不变。%(rule)s", rule=passwords.RULE))}

    def is_accessible(self):
        return super().is_accessible() and current_user.role == "admin"

    def on_model_change(self, form, model, is_created):
        if form.new_password.data:
            found = passwords.problems(form.new_password.data, model.username, model.display_name)
            if found:
                raise ValidationError.single("new_password", found[0])
            model.set_password(form.new_password.data)
        elif is_created:
            raise ValidationError.single("new_password", _("新建账号须设置密码"))
        if model.role != "admin" and model.org is None:
            raise ValidationError.single("org", _("非管理员账号须指定所管理的党组织"))
        deactivated = not model.active and inspect(model).attrs.active.history.deleted == [True]
        if not is_created and (form.new_password.data or deactivated):
            sessions.end_all(model)
        super().on_model_change(form, model, is_created)

    def after_model_change(self, form, model, is_created):
        if not is_created and model.active:
            sessions.keep_current(model)  # an administrator who reset her own password stays logged in here

    @action("unlock", _l("解除登录锁定"), _l("确定解除所选账号的登录锁定？此前的失败次数将不再计算。"))
    def action_unlock(self, ids):
        accounts = self.get_query().filter(self.model.id.in_(self.coerce_ids(ids))).all()
        for staff in accounts:
            staff.unlocked_at = utcnow()
        db.session.commit()
        flash(_("已解除 %(n)d 个账号的登录锁定", n=len(accounts)), "success")

    @action("reset_totp", _l("重置两步验证"),
            _l("确定重置所选账号的两步验证？其登录将全部失效，须重新绑定身份验证器。"))
    def action_reset_totp(self, ids):
        accounts = self.get_query().filter(self.model.id.in_(self.coerce_ids(ids))).all()
        for staff in accounts:
            totp.reset(staff)
            sessions.end_all(staff)
        db.session.commit()
        flash(_("已重置 %(n)d 个账号的两步验证", n=len(accounts)), "success")
