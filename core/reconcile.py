"""The reconciler: work whose worker died is finished by someone else, not left `running` for good.

Each kind of work already carries its claim or lease (bulletin rows, sweep runs, outbox
claims); this only finds the expired ones, every WUGUAN_RECONCILE_SECONDS, and hands them
to the code that owns them: a compile is asked for again (its claim is taken over), a sweep
run is failed (the next sweep redoes it all), an outbox row is resent through the flush.
"""
from . import bulletins, dispatch, reminders, sweep
from .models.base import utcnow


def reconcile(now=None):
    """One pass; returns what it found, for the log and the tests."""
    now = now or utcnow()
    stale_compiles = bulletins.expired_claims(now)
    for kind, key, label in stale_compiles:
        dispatch.nudge("wuguan.compile_bulletin", kind, key, label)
    failed_runs = sweep.abandon_stale_runs(now)
    buried = reminders.bury_poison(now)
    resent = reminders.due_messages(now)
    reminders.request_delivery(resent)
    return {"bulletins": len(stale_compiles), "sweep_runs": failed_runs, "outbox_dead": buried,
            "outbox_requested": len(resent)}
