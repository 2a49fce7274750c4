"""The staff admin UI: Flask-Admin in Chinese, every screen scoped to the staffer's subtree."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from .. import headers
from ..extensions import login_manager
from . import auth, totp, views
from .dashboard import DashboardView


def init_admin(app):
    totp.check_setting(app.config["WUGUAN_TOTP_REQUIRED"])
    app.register_blueprint(auth.bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    admin = Admin(app, name=_l("五管"), index_view=DashboardView(name=_l("首页"), url="/admin"),
                  theme=Bootstrap4Theme(base_template="admin/wuguan_base.html", fluid=True),
                  csp_nonce_generator=headers.nonce)
    with app.app_context():  # views read the loaded modes while they are built
        views.register(admin)
        plugin_host = app.extensions["wuguan"]
        for record in plugin_host.loaded():  # menus in load order
            plugin_host.call_staged(record, "wuguan_admin_views", "admin", admin, ADMIN_ADDITIONS,
                                    check=lambda calls: _endpoints_free(app, calls))
        views.register_system(admin)
    return admin


ADMIN_ADDITIONS = ("add_view", "add_views", "add_link", "add_links", "add_category", "add_sub_category",
                   "add_menu_item")


def _endpoints_free(app, calls):
    """Refuse, before any is added, screens whose endpoint is taken: Flask-Admin would list the
    first of them and then fail, leaving a menu entry that leads nowhere."""
    views_ = [view for name, args, _ in calls if name in ("add_view", "add_views") for view in args]
    endpoints = [view.endpoint for view in views_]
    taken = sorted({e for e in endpoints if e in app.blueprints or endpoints.count(e) > 1})
    if taken:
        raise ValueError(f"admin endpoint already taken: {', '.join(taken)}")
