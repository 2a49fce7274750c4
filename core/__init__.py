"""wuguan core: members, organizations and the plugin host. `create_app` is the factory."""
import os
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errorpages, headers, health, rules, settings
from .extensions import babel, csrf, db, login_manager, migrate
from .ids import BoundedIntConverter
from .plugins import PluginHost

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config=None):
    """Build the app: settings from the environment, then `config`, then the plugins."""
    config = config or {}
    instance = Path(config.get("WUGUAN_INSTANCE_PATH") or os.environ.get("WUGUAN_INSTANCE_PATH")
                    or Path.cwd() / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask("core", instance_path=str(instance))
    app.url_map.converters["int"] = BoundedIntConverter  # before any route: ids past int4 are 404
    app.config.update(settings.from_environment(instance))
    rules_set = {**app.config["RULES"], **(config.get("RULES") or {})}
    app.config.update(config)
    app.config["RULES"] = rules.configured(rules_set)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["WUGUAN_PROXY_HOPS"]:
        hops = app.config["WUGUAN_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from . import audit, models  # noqa: F401  (registers models and the audit listener)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)

    plugin_host = PluginHost(
        allow=app.config["WUGUAN_PLUGINS"],
        disabled=app.config["WUGUAN_DISABLED_PLUGINS"],
        strict=app.config["WUGUAN_STRICT_PLUGINS"],
        trace=app.config["WUGUAN_TRACE_PLUGINS"],
    ).load()
    app.extensions["wuguan"] = plugin_host
    app.config["PLUGINS"] = plugin_host.plugin_settings(app.config["PLUGINS"])
    app.jinja_loader = ChoiceLoader([app.jinja_loader, *map(FileSystemLoader, plugin_host.template_folders())])
    from .admin.auth import select_locale
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=";".join(
        [str(Path(__file__).parent / "translations"), *plugin_host.translation_folders()]))

    from . import privacy
    # Templates (plugins' panels too) ask the one decision: {{ value|reveal("phone") }}.
    app.jinja_env.filters["reveal"] = privacy.reveal
    app.jinja_env.globals["sees_sensitive"] = privacy.sees_sensitive

    from .admin import init_admin
    init_admin(app)
    errorpages.init_app(app)
    headers.init_app(app)
    health.init_app(app)
    for record in plugin_host.loaded():
        plugin_host.call_staged(record, "wuguan_blueprints", "app", app, ("register_blueprint",),
                                check=lambda calls: _blueprints_free(app, calls))
    return app


def _blueprints_free(app, calls):
    """Refuse a plugin's blueprints, before any is registered, if a name is taken."""
    names = [kwargs.get("name") or args[0].name for _, args, kwargs in calls]
    taken = sorted({n for n in names if n in app.blueprints or names.count(n) > 1})
    if taken:
        raise ValueError(f"blueprint name already taken: {', '.join(taken)}")


@migrate.configure
def _plugin_version_locations(config):
    """Each plugin brings its own Alembic branch; Alembic finds them all through this."""
    from flask import current_app
    paths = [str(MIGRATIONS / "versions"), *current_app.extensions["wuguan"].migration_paths()]
    config.set_main_option("version_locations", " ".join(paths))
    config.set_main_option("path_separator", "space")
    return config


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record):
    """SQLite ignores foreign keys unless asked, and waits on a busy file only if told to. In WAL
    mode the web, the workers and beat read while one of them writes, and a commit does not wait
    for the disk (a power cut may lose the last commits, never the file), so the workers' short
    transactions do not queue behind each other's fsync."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
