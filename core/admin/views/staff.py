from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from ...errors import ValidationError
from ...models.staff import ROLES
from ..auth import MIN_PASSWORD
from ..scoped import ScopedModelView
from .labels import choice_formatter, choice_list, labels


class StaffView(ScopedModelView):
    """Staff accounts: administrators only."""
    write_roles = ("admin",)
    can_export = False
    column_list = ["username", "display_name", "role", "org", "can_see_sensitive", "active", "last_login_at"]
    column_labels = labels("username", "display_name", "role", "org", "can_see_sensitive", "active", "last_login_at")
    column_searchable_list = ["username", "display_name"]
    column_filters = ["role", "active"]
    column_formatters = {"role": choice_formatter(ROLES)}
    form_columns = ["username", "display_name", "role", "org", "can_see_sensitive", "active", "new_password"]
    form_choices = {"role": choice_list(ROLES)}
    form_extra_fields = {"new_password": PasswordField(_l("新密码"), validators=[Optional(), Length(min=MIN_PASSWORD)],
                                                       description=_l("新建账号必填；修改时留空则不变"))}

    def is_accessible(self):
        return super().is_accessible() and current_user.role == "admin"

    def on_model_change(self, form, model, is_created):
        if form.new_password.data:
            model.set_password(form.new_password.data)
        elif is_created:
            raise ValidationError.single("new_password", _("新建账号须设置密码"))
        if model.role != "admin" and model.org is None:
            raise ValidationError.single("org", _("非管理员账号须指定所管理的党组织"))
        super().on_model_change(form, model, is_created)
