"""The staff admin UI: Flask-Admin in Chinese, every screen scoped to the staffer's subtree."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from .. import headers
from ..extensions import login_manager
from . import auth, views
from .dashboard import DashboardView


def init_admin(app):
    app.register_blueprint(auth.bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    admin = Admin(app, name=_l("五管"), index_view=DashboardView(name=_l("首页"), url="/admin"),
                  theme=Bootstrap4Theme(base_template="admin/wuguan_base.html", fluid=True),
                  csp_nonce_generator=headers.nonce)
    with app.app_context():  # views read the loaded modes while they are built
        views.register(admin)
        plugin_host = app.extensions["wuguan"]
        for record in plugin_host.loaded():  # menus in load order (pluggy itself calls the newest first)
            plugin_host.call_one(record.name, "wuguan_admin_views", admin=admin)
        views.register_system(admin)
    return admin
