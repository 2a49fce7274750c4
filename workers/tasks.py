"""Celery tasks: thin wrappers around the plain functions in core, which tests call directly too."""
from collections import Counter, defaultdict
from functools import partial

from celery import chord, group, shared_task
import kombu.exceptions
import sqlalchemy.exc

from core import bulletins, indicator_pass, periods, reconcile as reconciler, reminders, roster, sweep
from core.models.base import utcnow

BULLETIN_KINDS = bulletins.KINDS
# A database restart or failover, or a broker that went away, breaks the task at hand: it is
# run again after a growing, jittered wait (up to 2 s, 4 s, ... capped at 5 minutes, 15 times:
# at most about 45 minutes), which the claims and unique keys make safe. With psycopg a dropped
# connection (SQLAlchemy's connection_invalidated) surfaces as an OperationalError.
TRANSIENT = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, kombu.exceptions.OperationalError)
task = partial(shared_task, autoretry_for=TRANSIENT, retry_backoff=2, retry_backoff_max=300, retry_jitter=True,
               max_retries=15)


@task(name="wuguan.sweep_city")
def sweep_city():
    """Fan the city sweep out: one task per community and one for what lies outside them, then add up."""
    parent_id, community_ids = sweep.plan_city_sweep()
    chord(sweep_part.s(parent_id, org_id) for org_id in [*community_ids, None])(finish_sweep.si(parent_id))
    return parent_id


@task(name="wuguan.sweep_part", ignore_result=False)
def sweep_part(parent_id, org_id):
    return sweep.sweep_part(parent_id, org_id)


@task(name="wuguan.finish_sweep")
def finish_sweep(parent_id):
    return sweep.finish_city_sweep(parent_id).id


@task(name="wuguan.remind")
def remind(rule_code=None):
    """Decide a rule's reminders (committed), then ask for their delivery."""
    reminders.request_delivery(reminders.decide(rule_code))


@task(name="wuguan.deliver")
def deliver(outbox_ids):
    """Deliver a batch of outbox rows (or one id, as tasks queued before batches carry).

    The rows' attempts, not Celery's, bound the retries: a failed row is asked for again
    after its backoff, rows the batch had no time left for at once.
    """
    outcomes = reminders.deliver_batch([outbox_ids] if isinstance(outbox_ids, int) else outbox_ids)
    later = defaultdict(list)
    for outbox_id, outcome in outcomes.items():
        if outcome.state in ("retry", "released"):
            later[outcome.retry_in].append(outbox_id)
    for wait, ids in later.items():
        reminders.request_delivery(ids, countdown=wait)
    return dict(Counter(outcome.state for outcome in outcomes.values()))


@task(name="wuguan.flush_outbox")
def flush_outbox():
    """Start delivery of every due row: decided while the broker was down, retried, or left by a dead worker."""
    reminders.bury_poison()
    reminders.request_delivery(reminders.due_messages())


@task(name="wuguan.compute_indicators")
def compute_indicators(period_kind, period_label=None):
    """The last complete period's indicators for the whole city, recomputed (the beat runs it before the bulletins)."""
    label = period_label or periods.last_complete(period_kind, utcnow().date()).label
    return indicator_pass.compute(label)


@task(name="wuguan.compile_bulletins")
def compile_bulletins(period_kind, period_label=None):
    """Every bulletin missing from the last WUGUAN_BULLETIN_CATCH_UP months, quarters or years (or all
    of one named period), one task per scope: a month that failed is compiled on the next tick.

    Each period's indicators (and the previous period's) exist before the fan-out, so no
    bulletin task computes them, and none waits for another that does."""
    if period_label:
        wanted = [(kind, scope, period_label) for kind in BULLETIN_KINDS for scope, _, _ in bulletins.scopes(kind)]
    else:
        wanted = bulletins.missing(period_kind, utcnow().date())
    for label in sorted({label for _, _, label in wanted}):
        indicator_pass.ensure(label)
        indicator_pass.ensure(periods.parse(label).previous().label)
    group(compile_bulletin.s(*item) for item in wanted).apply_async()


@task(name="wuguan.compile_bulletin")
def compile_bulletin(kind, scope, period_label):
    result = bulletins.compile_bulletin(kind, scope, period_label)
    reminders.request_delivery(result.outbox_ids)
    return result.state


@task(name="wuguan.import_roster")
def import_roster(job_id):
    """A large roster, checked or committed on a worker while staff watch its progress."""
    roster.run_job(job_id)


@task(name="wuguan.purge_uploads")
def purge_uploads():
    """Uploaded rosters nobody committed, deleted after the retention period."""
    return roster.purge_uploads()


@task(name="wuguan.reconcile")
def reconcile():
    """Work whose worker died is taken up again (core/reconcile.py)."""
    return reconciler.reconcile()
