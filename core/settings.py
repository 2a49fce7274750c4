"""Settings from the environment, with defaults that need no server.

Every setting an operator may change is read here and nowhere else, so the
README's table of environment variables is this module.
"""
import datetime as dt
import json
import os
import secrets
import tomllib
from pathlib import Path


def _flag(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _names(value):
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def duration(value, name):
    """Seconds from "7200", "90m", "2h" or "1d": operators write lifetimes the way they think of them."""
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a duration (seconds, or a number with s, m, h or d)") from None
    if seconds <= 0:
        raise ValueError(f"{name}: {value!r} must be longer than zero")
    return dt.timedelta(seconds=seconds)


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
    """Operators set plugin settings in TOML, a table per plugin: `[joint]` then `visit_every_days = 60`;
    the table `[core]` holds the Party's rules (`core.rules`)."""
    path = Path(path)
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


# Every task's queue; a task not listed goes to "default". `wuguan run` consumes them all.
TASK_ROUTES = {
    "wuguan.deliver": {"queue": "delivery"},
    "wuguan.flush_outbox": {"queue": "delivery"},
    "wuguan.remind": {"queue": "delivery"},
    "wuguan.sweep_city": {"queue": "sweeps"},
    "wuguan.sweep_part": {"queue": "sweeps"},
    "wuguan.finish_sweep": {"queue": "sweeps"},
    "wuguan.compile_bulletins": {"queue": "bulk"},
    "wuguan.compile_bulletin": {"queue": "bulk"},
    "wuguan.import_roster": {"queue": "bulk"},
    "wuguan.compute_indicators": {"queue": "bulk"},
    "wuguan.reconcile": {"queue": "default"},
    "wuguan.purge_uploads": {"queue": "default"},
}
QUEUES = ("default", "delivery", "sweeps", "bulk")


def _broker_transport_options(broker, environ):
    if broker.startswith(("redis", "rediss")):
        # Redis gives an unacknowledged task back after this long (a worker that vanished).
        return {"visibility_timeout": int(environ.get("WUGUAN_VISIBILITY_TIMEOUT", "3600"))}
    if broker.startswith("sqla+"):
        return {"pool_pre_ping": True}  # kombu passes these to create_engine
    return {}


def from_environment(instance_path, environ=os.environ):
    instance = Path(instance_path)
    settings_file = plugin_settings_file(environ.get("WUGUAN_PLUGIN_SETTINGS") or instance / "plugins.toml")
    db_url = environ.get("DATABASE_URL") or f"sqlite:///{instance / 'wuguan.sqlite'}"
    redis_url = environ.get("REDIS_URL")
    broker = environ.get("CELERY_BROKER_URL") or redis_url or f"sqla+sqlite:///{instance / 'broker.sqlite'}"
    https = _flag(environ.get("WUGUAN_HTTPS", "0"))
    idle = duration(environ.get("WUGUAN_SESSION_IDLE", "2h"), "WUGUAN_SESSION_IDLE")
    longest = duration(environ.get("WUGUAN_SESSION_MAX", "12h"), "WUGUAN_SESSION_MAX")
    backend = environ.get("CELERY_RESULT_BACKEND") or redis_url or f"db+sqlite:///{instance / 'results.sqlite'}"
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(db_url),
        # A pooled connection the server dropped (restart, failover, idle timeout) is tested and
        # replaced at checkout, so it costs a round trip instead of the next piece of work.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": environ.get("SECRET_KEY") or secret_key(instance),
        "REDIS_URL": redis_url,
        # Sessions (core/admin/sessions.py): the browser forgets the cookie after the idle time, the
        # server refuses it after the idle time or the absolute lifetime, whichever comes first.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": https,
        "PERMANENT_SESSION_LIFETIME": idle,
        "WUGUAN_SESSION_IDLE": idle,
        "WUGUAN_SESSION_MAX": longest,
        # Flask-Login's remember cookie is never set, and the session check refuses it anyway; if it
        # ever were, it would carry the same flags and lifetime.
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": longest,
        # Behind this many reverse proxies, the client's address comes from X-Forwarded-For
        # (log-in throttling is keyed by address, so it must be the client's, not the proxy's).
        "WUGUAN_PROXY_HOPS": int(environ.get("WUGUAN_PROXY_HOPS", "0")),
        # Log-in throttling (core/admin/throttle.py).
        "WUGUAN_LOGIN_MAX_FAILURES": int(environ.get("WUGUAN_LOGIN_MAX_FAILURES", "5")),
        "WUGUAN_LOGIN_LOCK_MINUTES": float(environ.get("WUGUAN_LOGIN_LOCK_MINUTES", "15")),
        "WUGUAN_PASSWORD_MIN_SCORE": int(environ.get("WUGUAN_PASSWORD_MIN_SCORE", "3")),
        "WUGUAN_TOTP_REQUIRED": _names(environ.get("WUGUAN_TOTP_REQUIRED")),
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
            "broker_transport_options": _broker_transport_options(broker, environ),
            "database_engine_options": {"pool_pre_ping": True},
            # Latency-sensitive delivery apart from the bulk (bulletins, imports) and the sweeps,
            # so a month's bulletins never hold reminders back (README, Deployment).
            "task_default_queue": "default",
            "task_routes": TASK_ROUTES,
        },
        "WUGUAN_SWEEP_SCHEDULE": environ.get("WUGUAN_SWEEP_SCHEDULE", "0 2 * * *"),
        "WUGUAN_FLUSH_SECONDS": float(environ.get("WUGUAN_FLUSH_SECONDS", "60")),
        # The reconciler (core/reconcile.py) runs this often: it fails sweep runs still running after
        # WUGUAN_SWEEP_LEASE, compiles again the bulletins whose compile died, and resends the outbox
        # rows of dead workers. Bulletin beats compile what is missing of the last N periods.
        "WUGUAN_HEALTHZ_SECONDS": float(environ.get("WUGUAN_HEALTHZ_SECONDS", "30")),
        "WUGUAN_RECONCILE_SECONDS": duration(environ.get("WUGUAN_RECONCILE_SECONDS", "300"),
                                             "WUGUAN_RECONCILE_SECONDS").total_seconds(),
        "WUGUAN_SWEEP_LEASE": duration(environ.get("WUGUAN_SWEEP_LEASE", "6h"), "WUGUAN_SWEEP_LEASE"),
        "WUGUAN_BULLETIN_CATCH_UP": int(environ.get("WUGUAN_BULLETIN_CATCH_UP", "3")),
        # `wuguan health` is red when the last city sweep started longer ago than this.
        "WUGUAN_HEALTH_SWEEP_AGE": duration(environ.get("WUGUAN_HEALTH_SWEEP_AGE", "26h"), "WUGUAN_HEALTH_SWEEP_AGE"),
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
        # SMS: unset writes each message into the instance folder, like mail.
        "WUGUAN_SMS_PROVIDER": environ.get("WUGUAN_SMS_PROVIDER") or None,
        "WUGUAN_SMS_ENDPOINT": environ.get("WUGUAN_SMS_ENDPOINT") or None,
        "WUGUAN_SMS_ACCESS_KEY_ID": environ.get("WUGUAN_SMS_ACCESS_KEY_ID"),
        "WUGUAN_SMS_ACCESS_KEY_SECRET": environ.get("WUGUAN_SMS_ACCESS_KEY_SECRET"),
        "WUGUAN_SMS_SIGN_NAME": environ.get("WUGUAN_SMS_SIGN_NAME"),
        "WUGUAN_SMS_TEMPLATE_CODE": environ.get("WUGUAN_SMS_TEMPLATE_CODE"),
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
        # Only what the operator set: `create_app` merges it with the defaults (`core.rules.configured`).
        "RULES": settings_file.pop("core", {}),
        "PLUGINS": settings_file,
    }
