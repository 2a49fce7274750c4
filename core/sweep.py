"""The check sweep: run every check as set-based SQL and reconcile its rows with the findings.

Per check a fixed number of statements runs whatever the number of members: the
check's rows are staged in `finding_hit` once, then findings are reopened, refreshed,
opened and resolved from there. Each check commits on its own, so one that raises is
recorded as failed and the others still run. The live findings of a plugin that is no
longer loaded are set aside as `orphaned` by every top-level run (one statement), and
come back to life when the plugin's check runs again.
"""
from dataclasses import dataclass, field
import datetime as dt
import logging
import time

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select, text, true, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import aliased

from . import audit, checks as core_checks
from .errors import ValidationError
from .extensions import db
from .models import Finding, FindingHit, Organization, SweepRun
from .models.base import utcnow
from .models.findings import LIVE_STATES
from .contract import SEVERITIES, Check
from .plugins import host

log = logging.getLogger("wuguan.sweep")


@dataclass(frozen=True)
class CheckContext:
    """What a check's query may read: the day it runs for, its plugin's settings and the Party's rules.

    `covers(column)` narrows a query to the organizations being swept; the sweep filters the
    rows by `org_id` anyway, but a check that narrows early reads one community, not the city.
    """
    today: dt.date
    settings: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    plugin: str = "core"
    scope: "Scope | None" = None

    def covers(self, org_id_column):
        return (self.scope or Scope.city()).covers(org_id_column)


@dataclass(frozen=True)
class RegisteredCheck:
    plugin: str
    check: Check


def registered_checks():
    """Core's checks, then each loaded plugin's, in a stable order; a code must be unique."""
    found = [RegisteredCheck("core", c) for c in core_checks.CHECKS]
    found += [RegisteredCheck(name, c) for name, c in host().collect_by_plugin("wuguan_checks")]
    seen = {}
    for item in found:
        if not isinstance(item.check, Check):
            raise TypeError(f"plugin {item.plugin} returned {item.check!r} from wuguan_checks, not a Check")
        if item.check.severity not in SEVERITIES:
            raise ValueError(f"check {item.check.code}: severity must be one of {SEVERITIES}")
        if item.check.code in seen:
            raise ValueError(f"check code {item.check.code!r} is used by {seen[item.check.code]} and {item.plugin}")
        seen[item.check.code] = item.plugin
    return found


class Scope:
    """Which organizations a sweep covers: the city, one subtree, or what lies outside every community."""

    def __init__(self, kind, org=None):
        self.kind, self.org = kind, org

    @classmethod
    def city(cls):
        return cls("city")

    @classmethod
    def subtree(cls, org):
        return cls("subtree", org)

    @classmethod
    def outside_communities(cls):
        return cls("rest")

    @property
    def label(self):
        return {"city": "city", "rest": "rest"}.get(self.kind, f"org:{self.org.id}" if self.org else "")

    def covers(self, org_id_column):
        """A condition on `org_id_column` for rows inside this scope."""
        if self.kind == "city":
            return true()
        if self.kind == "subtree":
            return org_id_column.in_(select(Organization.id).where(Organization.in_subtree(self.org.path)))
        community = aliased(Organization)
        inside = (select(Organization.id)
                  .where(exists().where(community.kind == "community",
                                        Organization.path.like(community.path + "%"))))
        return or_(org_id_column.is_(None), org_id_column.not_in(inside))


def run_sweep(scope=None, *, today=None, trigger="manual", parent_id=None, codes=None):
    """Sweep `scope` (the city by default) and return its committed SweepRun."""
    scope = scope or Scope.city()
    today = today or dt.date.today()
    if parent_id is None:  # a city sweep's parts leave it to the parent (plan_city_sweep)
        orphan_findings()
    run = SweepRun(scope=scope.label, org_id=scope.org.id if scope.org else None, trigger=trigger,
                   parent_id=parent_id, stats={})
    db.session.add(run)
    db.session.commit()
    stats, failures = {}, 0
    for item in registered_checks():
        if codes and item.check.code not in codes:
            continue
        started = time.perf_counter()
        try:
            counts = _reconcile(run.id, item, scope, today)
            db.session.commit()
        except Exception as exc:  # a check's bug is recorded, the sweep goes on
            db.session.rollback()
            if isinstance(exc, (OperationalError, InterfaceError)):
                _abandon(run.id)  # the connection failed, not the check: the task retries the whole part
                raise
            log.exception("check %s failed", item.check.code)
            failures += 1
            counts = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
            _drop_hits(run.id, item.check.code)
        counts.update(plugin=item.plugin, severity=item.check.severity,
                      ms=round((time.perf_counter() - started) * 1000, 1))
        stats[item.check.code] = counts
    run.stats = stats
    run.failures = failures
    run.state = "partial" if failures else "succeeded"
    run.finished_at = utcnow()
    db.session.commit()
    return run


def orphan_findings():
    """Set aside the live findings of plugins that are not loaded (disabled or removed): nobody can
    act on them through the plugin's screens, and its check will not resolve them."""
    present = ["core", *(record.name for record in host().loaded())]
    orphaned = db.session.execute(
        update(Finding).where(Finding.plugin.not_in(present), Finding.state.in_(LIVE_STATES))
        .values(state="orphaned").execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return orphaned


def close_orphaned(finding_ids, staff, reason):
    """An administrator closes findings a departed plugin left behind (resolved, with the reason, audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.single("reason", _("关闭问题须填写理由"))
    staff_id, staff_name = staff.id, staff.username
    findings = db.session.scalars(select(Finding).where(Finding.id.in_(finding_ids),
                                                        Finding.state == "orphaned")).all()
    now = utcnow()
    for finding in findings:
        finding.state, finding.reason, finding.resolved_at = "resolved", reason, now
        finding.decided_by_id, finding.decided_at = staff_id, now
    with audit.acting_as(staff_name, staff_id):
        db.session.commit()
    return len(findings)


def _abandon(run_id):
    db.session.execute(update(SweepRun).where(SweepRun.id == run_id)
                       .values(state="failed", finished_at=utcnow()).execution_options(synchronize_session=False))
    db.session.execute(delete(FindingHit).where(FindingHit.run_id == run_id))
    db.session.commit()


def _drop_hits(run_id, code):
    db.session.execute(delete(FindingHit).where(FindingHit.run_id == run_id, FindingHit.check_code == code))
    db.session.commit()


def _context(plugin, today, scope):
    settings = current_app.config["RULES"] if plugin == "core" else current_app.config["PLUGINS"].get(plugin, {})
    return CheckContext(today=today, settings=dict(settings), rules=dict(current_app.config["RULES"]),
                        plugin=plugin, scope=scope)


def _reconcile(run_id, item, scope, today):
    check = item.check
    now = utcnow()
    rows = check.query(_context(item.plugin, today, scope)).subquery()
    # One row per subject, whatever the check returned, so a finding can never be inserted twice.
    staged = db.session.execute(insert(FindingHit.__table__).from_select(
        ["run_id", "check_code", "subject_id", "org_id", "detail"],
        select(literal(run_id), literal(check.code), rows.c.subject_id, func.min(rows.c.org_id),
               func.substr(func.min(func.coalesce(rows.c.detail, "")), 1, 500))
        .where(scope.covers(rows.c.org_id)).group_by(rows.c.subject_id))
        .execution_options(preserve_rowcount=True)).rowcount
    if db.session.get_bind().dialect.name == "postgresql":
        # The staging table swings from empty to millions of rows and its statistics lag behind, so
        # the planner would pick nested loops; hash joins suit both sizes. (ANALYZE would do too,
        # but it holds a lock to the end of the transaction that parallel community sweeps queue on.)
        db.session.execute(text("SET LOCAL enable_nestloop = off"))
    hits = (select(FindingHit.subject_id, FindingHit.org_id, FindingHit.detail)
            .where(FindingHit.run_id == run_id, FindingHit.check_code == check.code)
            .subquery())
    same_check = and_(Finding.check_code == check.code, Finding.subject_type == check.subject)
    # The plugin is back: what it had found is live again, and resolved below if no longer seen.
    db.session.execute(
        update(Finding).where(same_check, Finding.state == "orphaned", scope.covers(Finding.org_id))
        .values(state="open").execution_options(synchronize_session=False))
    reopened = db.session.execute(
        update(Finding).where(same_check, Finding.state == "resolved", Finding.subject_id == hits.c.subject_id)
        .values(state="open", first_seen=now, resolved_at=None, decided_by_id=None, decided_at=None, reason=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(
        update(Finding).where(same_check, Finding.subject_id == hits.c.subject_id)
        .values(last_seen=now, org_id=hits.c.org_id, detail=hits.c.detail, severity=check.severity,
                plugin=item.plugin)
        .execution_options(synchronize_session=False))
    opened = db.session.execute(insert(Finding.__table__).from_select(
        ["check_code", "plugin", "severity", "subject_type", "subject_id", "org_id", "detail", "state",
         "first_seen", "last_seen"],
        select(literal(check.code), literal(item.plugin), literal(check.severity), literal(check.subject),
               hits.c.subject_id, hits.c.org_id, hits.c.detail, literal("open"), literal(now), literal(now))
        .where(~exists().where(same_check, Finding.subject_id == hits.c.subject_id)))
        .execution_options(preserve_rowcount=True)).rowcount
    still_seen = exists().where(FindingHit.run_id == run_id, FindingHit.check_code == check.code,
                                FindingHit.subject_id == Finding.subject_id)
    resolved = db.session.execute(
        update(Finding).where(same_check, Finding.state.in_(LIVE_STATES), scope.covers(Finding.org_id), ~still_seen)
        .values(state="resolved", resolved_at=now)
        .execution_options(synchronize_session=False)).rowcount
    live = db.session.scalar(select(func.count()).select_from(Finding)
                             .where(same_check, Finding.state.in_(LIVE_STATES), scope.covers(Finding.org_id)))
    db.session.execute(delete(FindingHit).where(FindingHit.run_id == run_id, FindingHit.check_code == check.code))
    return {"rows": staged, "new": opened + reopened, "resolved": resolved, "open": live}


def abandon_stale_runs(now=None):
    """Runs still `running` past WUGUAN_SWEEP_LEASE lost their worker (or a chord part): mark them
    failed, and drop the staged rows any dead run left behind."""
    now = now or utcnow()
    lease = current_app.config["WUGUAN_SWEEP_LEASE"]
    abandoned = db.session.execute(
        update(SweepRun).where(SweepRun.state == "running", SweepRun.started_at < now - lease)
        .values(state="failed", finished_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(FindingHit).where(
        FindingHit.run_id.in_(select(SweepRun.id).where(SweepRun.state != "running"))))
    db.session.commit()
    return abandoned


def plan_city_sweep(trigger="schedule"):
    """The parent run of a fanned-out city sweep, and the community ids its children cover."""
    abandon_stale_runs()
    orphan_findings()
    run = SweepRun(scope="city", trigger=trigger, stats={})
    db.session.add(run)
    db.session.commit()
    community_ids = db.session.scalars(select(Organization.id).where(Organization.kind == "community")
                                       .order_by(Organization.id)).all()
    return run.id, community_ids


def sweep_part(parent_id, org_id, today=None):
    """One child of a city sweep: a community's subtree, or (org_id None) what lies outside every community."""
    scope = Scope.subtree(db.session.get(Organization, org_id)) if org_id else Scope.outside_communities()
    return run_sweep(scope, today=today, trigger="fan-out", parent_id=parent_id).id


def finish_city_sweep(parent_id):
    """Add the children's counts up into the parent run."""
    parent = db.session.get(SweepRun, parent_id)
    children = db.session.scalars(select(SweepRun).where(SweepRun.parent_id == parent_id)).all()
    stats = {}
    for child in children:
        for code, counts in (child.stats or {}).items():
            total = stats.setdefault(code, {"rows": 0, "new": 0, "resolved": 0, "open": 0, "ms": 0.0,
                                            "plugin": counts.get("plugin"), "severity": counts.get("severity"),
                                            "errors": []})
            for key in ("rows", "new", "resolved", "open", "ms"):
                total[key] += counts.get(key, 0)
            if "error" in counts:
                total["errors"].append({"org_id": child.org_id, "error": counts["error"]})
    parent.stats = stats
    parent.failures = sum(c.failures for c in children)
    parent.state = "partial" if parent.failures else "succeeded"
    parent.finished_at = utcnow()
    db.session.commit()
    return parent


def decide_finding(finding_id, state, staff, reason=None):
    """Staff acknowledge or waive a finding; waiving needs a reason, and both are audited."""
    if state not in ("acknowledged", "waived", "open"):
        raise ValidationError.single("state", _("只能标记为已知悉、已豁免或重新打开"))
    reason = (reason or "").strip() or None
    if state == "waived" and not reason:
        raise ValidationError.single("reason", _("豁免须填写理由"))
    staff_id, staff_name = staff.id, staff.username  # loaded before any change, so one flush logs it all
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.state == "resolved":
        raise ValidationError.single("state", _("该问题已解决，无需处理"))
    if finding.state == "orphaned":
        raise ValidationError.single("state", _("该问题所属插件已停用，只能由管理员关闭"))
    finding.state, finding.reason = state, reason
    finding.decided_by_id, finding.decided_at = staff_id, utcnow()
    with audit.acting_as(staff_name, staff_id):
        db.session.commit()
    return finding
