"""Settings from the environment, with defaults that need no server.

Every setting an operator may change is read here and nowhere else, so the
README's table of environment variables is this module.
"""
import json
import os
import secrets
import tomllib
from pathlib import Path

from . import rules


def _flag(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _names(value):
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def database_url(url):
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key(instance_path):
    """A key kept in the instance folder, so sessions survive restarts without a constant in code."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def plugin_settings_file(path):
    """Operators set plugin settings in TOML, a table per plugin: `[joint]` then `visit_every_days = 60`."""
    path = Path(path)
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def from_environment(instance_path, environ=os.environ):
    instance = Path(instance_path)
    db_url = environ.get("DATABASE_URL") or f"sqlite:///{instance / 'wuguan.sqlite'}"
    redis_url = environ.get("REDIS_URL")
    broker = environ.get("CELERY_BROKER_URL") or redis_url or f"sqla+sqlite:///{instance / 'broker.sqlite'}"
    backend = environ.get("CELERY_RESULT_BACKEND") or redis_url or f"db+sqlite:///{instance / 'results.sqlite'}"
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(db_url),
        "SECRET_KEY": environ.get("SECRET_KEY") or secret_key(instance),
        "REDIS_URL": redis_url,
        "CELERY": {
            "broker_url": broker,
            "result_backend": backend,
            "task_ignore_result": True,
            "timezone": environ.get("WUGUAN_TIMEZONE", "Asia/Shanghai"),
            "beat_schedule_filename": str(instance / "celerybeat-schedule"),
            # A task is acknowledged after it ran, and given back if its worker dies, one at a time.
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            # Redis gives an unacknowledged task back after this long (a worker that vanished).
            "broker_transport_options": ({"visibility_timeout": int(environ.get("WUGUAN_VISIBILITY_TIMEOUT", "3600"))}
                                         if broker.startswith(("redis", "rediss")) else {}),
        },
        "WUGUAN_SWEEP_SCHEDULE": environ.get("WUGUAN_SWEEP_SCHEDULE", "0 2 * * *"),
        "WUGUAN_FLUSH_SECONDS": float(environ.get("WUGUAN_FLUSH_SECONDS", "60")),
        # Beat entries by name ("bulletins-month", "remind-<rule code>", ...): a crontab string,
        # or a number of seconds, replacing the built-in schedule of that entry.
        "WUGUAN_SCHEDULES": json.loads(environ.get("WUGUAN_SCHEDULES") or "{}"),
        "WUGUAN_PLUGINS": _names(environ.get("WUGUAN_PLUGINS")) or None,
        "WUGUAN_DISABLED_PLUGINS": _names(environ.get("WUGUAN_DISABLED_PLUGINS")),
        "WUGUAN_STRICT_PLUGINS": _flag(environ.get("WUGUAN_STRICT_PLUGINS", "0")),
        "WUGUAN_TRACE_PLUGINS": _flag(environ.get("WUGUAN_TRACE_PLUGINS", "0")),
        "BABEL_DEFAULT_LOCALE": environ.get("WUGUAN_LOCALE", "zh_Hans_CN"),
        "BABEL_DEFAULT_TIMEZONE": environ.get("WUGUAN_TIMEZONE", "Asia/Shanghai"),
        "MAIL_SERVER": environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag(environ.get("MAIL_USE_TLS", "0")),
        "MAIL_FROM": environ.get("MAIL_FROM", "wuguan@localhost"),
        # Delivery: reminders wait for a working day inside this local window; a message that
        # keeps failing is retried with doubling waits and ends as dead after N attempts; a
        # claim older than CLAIM_SECONDS (a worker that died mid-send) is sent again.
        "WUGUAN_SEND_WINDOW": environ.get("WUGUAN_SEND_WINDOW", "08:30-18:00"),
        "WUGUAN_WORKING_DAYS_ONLY": _flag(environ.get("WUGUAN_WORKING_DAYS_ONLY", "1")),
        "WUGUAN_OUTBOX_MAX_ATTEMPTS": int(environ.get("WUGUAN_OUTBOX_MAX_ATTEMPTS", "5")),
        "WUGUAN_OUTBOX_RETRY_SECONDS": float(environ.get("WUGUAN_OUTBOX_RETRY_SECONDS", "60")),
        "WUGUAN_OUTBOX_CLAIM_SECONDS": float(environ.get("WUGUAN_OUTBOX_CLAIM_SECONDS", "300")),
        # Delivery tasks claim and send this many rows each, over one connection per channel.
        "WUGUAN_OUTBOX_BATCH": int(environ.get("WUGUAN_OUTBOX_BATCH", "100")),
        "WUGUAN_PDF_FONT": environ.get("WUGUAN_PDF_FONT"),
        # A request bigger than this is refused with a 413 page; uploaded rosters are kept
        # until committed, or this many hours when abandoned.
        "MAX_CONTENT_LENGTH": int(float(environ.get("WUGUAN_MAX_UPLOAD_MB", "20")) * 1024 * 1024),
        "WUGUAN_UPLOAD_RETENTION_HOURS": float(environ.get("WUGUAN_UPLOAD_RETENTION_HOURS", "48")),
        "RULES": rules.defaults(),
        "PLUGINS": plugin_settings_file(environ.get("WUGUAN_PLUGIN_SETTINGS") or instance / "plugins.toml"),
    }
