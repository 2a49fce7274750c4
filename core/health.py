"""The system's health for an operator: what `wuguan health` prints and `/healthz` sums up.

Each line is red only when an operator has something to do: the database or broker
unreachable, no recent sweep (or a failed one), leases nobody took over (the reconciler
is not running), due mail not going out, bulletins still missing after their beat.
Dead outbox rows are counted but are staff's to resend, so they do not turn it red.
"""
from dataclasses import asdict, dataclass
import datetime as dt
import time

from flask import current_app, jsonify
from kombu import Connection
from sqlalchemy import func, select, text

from . import bulletins, periods, reminders
from .extensions import db
from .models import OutboxMessage, SweepRun
from .models.base import utcnow

# Due mail still waiting after this long means no delivery worker is consuming its queue.
BACKLOG_GRACE = dt.timedelta(minutes=15)
# A period's bulletins are due once its beat fired (the 1st or 2nd of the next period).
BULLETIN_GRACE = dt.timedelta(days=2)


@dataclass(frozen=True)
class Line:
    name: str
    ok: bool
    detail: str
    value: object = None


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        return Line("database", True, "可连接")
    except Exception as exc:  # the reason is the operator's clue
        db.session.rollback()
        return Line("database", False, f"无法连接: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def _broker():
    url = current_app.config["CELERY"]["broker_url"]
    try:
        with Connection(url, connect_timeout=3,
                        transport_options=current_app.config["CELERY"]["broker_transport_options"]) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return Line("broker", True, "可连接")
    except Exception as exc:
        return Line("broker", False, f"无法连接: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")


def _last_sweep(now):
    run = db.session.scalar(select(SweepRun).where(SweepRun.parent_id.is_(None))
                            .order_by(SweepRun.started_at.desc(), SweepRun.id.desc()).limit(1))
    if run is None:
        return Line("last_sweep", False, "从未运行检查")
    age = now - run.started_at
    limit = current_app.config["WUGUAN_HEALTH_SWEEP_AGE"]
    hours = round(age.total_seconds() / 3600, 1)
    ok = run.state in ("running", "succeeded", "partial") and age <= limit
    return Line("last_sweep", ok, f"最近一次检查 {hours} 小时前开始，状态 {run.state}",
                {"id": run.id, "state": run.state, "age_hours": hours})


def _stuck(now):
    compiles = len(bulletins.expired_claims(now))
    runs = db.session.scalar(select(func.count()).select_from(SweepRun).where(
        SweepRun.state == "running", SweepRun.started_at < now - current_app.config["WUGUAN_SWEEP_LEASE"]))
    _max, _retry, claim_seconds = reminders.settings()
    sends = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.state == "sending", OutboxMessage.claimed_at < now - dt.timedelta(seconds=claim_seconds)))
    value = {"bulletins": compiles, "sweep_runs": runs, "outbox": sends}
    return Line("stuck_leases", not any(value.values()),
                f"过期未接管：通报 {compiles}，检查 {runs}，消息 {sends}", value)


def _outbox(now):
    due = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "pending")
    backlog = db.session.scalar(due.where(OutboxMessage.not_before <= now))
    late = db.session.scalar(due.where(OutboxMessage.not_before < now - BACKLOG_GRACE))
    dead = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "dead"))
    return Line("outbox", not late, f"待发送 {backlog}（逾期 {late}），发送失败 {dead}",
                {"backlog": backlog, "late": late, "dead": dead})


def _bulletins(now):
    today = now.date()
    overdue = []
    for period_kind in ("month", "quarter", "year"):
        for kind, key, label in bulletins.missing(period_kind, today):
            if dt.datetime.combine(periods.parse(label).end, dt.time()) + BULLETIN_GRACE < now:
                overdue.append(f"{kind} {key} {label}")
    return Line("bulletins", not overdue, f"缺少通报 {len(overdue)} 份", {"missing": overdue[:50]})


def report(now=None):
    """Every line, database first: without it the rest are not asked."""
    now = now or utcnow()
    database = _database()
    lines = [database, _broker()]
    if database.ok:
        lines += [_last_sweep(now), _stuck(now), _outbox(now), _bulletins(now)]
    return {"status": "ok" if all(line.ok for line in lines) else "fail", "checks": [asdict(line) for line in lines]}


def init_app(app):
    last = {"at": None, "status": None}

    @app.route("/healthz")
    def healthz():
        """For monitoring, without logging in, so it says up or down and nothing else. Anyone may ask,
        so it answers from its last report for WUGUAN_HEALTHZ_SECONDS."""
        now = time.monotonic()
        if last["at"] is None or now - last["at"] >= current_app.config["WUGUAN_HEALTHZ_SECONDS"]:
            last.update(at=now, status=report()["status"])
        status = last["status"]
        return jsonify(status=status), (200 if status == "ok" else 503)
