"""No run left behind: the reconciler takes up what dead workers held, and bulletin beats catch up."""
import datetime as dt

import pytest
from sqlalchemy import select, update

from core import bulletins, dispatch, reconcile, sweep
from core.extensions import db as database
from core.models import Bulletin, OutboxMessage, SweepRun, WorkUnit
from core.models.base import utcnow
from factories import member, org_tree, outbox_rows

TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def nudges(monkeypatch):
    """The tasks the reconciler asks for, instead of a broker."""
    sent = []
    monkeypatch.setattr(dispatch, "nudge", lambda name, *args, countdown=None: sent.append((name, *args)) or True)
    return sent


@pytest.fixture
def city(db):
    tree = org_tree()
    unit = WorkUnit(name="金川集团", kind="state_owned")
    db.session.add(unit)
    db.session.add_all([member(tree), member(tree, category="in_service", work_unit=unit)])
    db.session.commit()
    return tree, unit


def test_a_compile_whose_claim_expired_is_asked_for_again_and_finished(app, city, nudges):
    tree, _unit = city
    now = utcnow()
    dead = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-10", now=now)
    live = bulletins.compile_bulletin("street", f"org:{tree['street'].id}", "2026-10", now=now)
    # Two compiles left `compiling` by killed workers: one long ago, one just now (still at work).
    database.session.execute(update(Bulletin).where(Bulletin.id == dead.bulletin_id).values(
        state="compiling", claim_token="gone", claimed_at=now - bulletins.LEASE - dt.timedelta(minutes=1)))
    database.session.execute(update(Bulletin).where(Bulletin.id == live.bulletin_id).values(
        state="compiling", claim_token="busy", claimed_at=now))
    database.session.commit()

    found = reconcile.reconcile(now)

    asked = [args for name, *args in nudges if name == "wuguan.compile_bulletin"]
    assert asked == [["community", f"org:{tree['community'].id}", "2026-10"]]
    assert found["bulletins"] == 1
    assert bulletins.compile_bulletin(*asked[0], now=now).state == "compiled", "the expired claim is taken over"
    assert database.session.get(Bulletin, live.bulletin_id).state == "compiling", "a live claim is left alone"


def test_sweep_runs_past_their_lease_are_failed_and_fresh_ones_left_running(app, db, nudges):
    now = utcnow()
    lease = app.config["WUGUAN_SWEEP_LEASE"]
    old = SweepRun(scope="city", stats={}, started_at=now - lease - dt.timedelta(minutes=1))
    part = SweepRun(scope="org:1", stats={}, started_at=now - lease - dt.timedelta(minutes=1))
    fresh = SweepRun(scope="city", stats={}, started_at=now)
    db.session.add_all([old, part, fresh])
    db.session.commit()
    part.parent_id = old.id
    db.session.commit()

    assert reconcile.reconcile(now)["sweep_runs"] == 2
    db.session.expire_all()
    assert (old.state, part.state, fresh.state) == ("failed", "failed", "running")


def test_outbox_rows_claimed_by_a_dead_worker_are_requested_again(app, db, nudges):
    ids = outbox_rows(3)
    now = utcnow()
    claim = dt.timedelta(seconds=app.config["WUGUAN_OUTBOX_CLAIM_SECONDS"])
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[0]).values(
        state="sending", claim_token="dead", claimed_at=now - claim - dt.timedelta(seconds=1)))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[1]).values(
        state="sending", claim_token="alive", claimed_at=now))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[2]).values(state="sent"))
    db.session.commit()

    reconcile.reconcile(now)

    assert [args for name, *args in nudges if name == "wuguan.deliver"] == [[[ids[0]]]]


def test_a_missing_month_is_caught_up_and_compiled_months_are_not_redone(app, city, nudges):
    tree, unit = city
    every = {(kind, key) for kind in bulletins.KINDS for key, _o, _u in bulletins.scopes(kind)}
    assert {("community", f"org:{tree['community'].id}"), ("employer", f"unit:{unit.id}")} <= every
    for label in ("2026-09", "2026-11"):
        for kind, key in every:
            assert bulletins.compile_bulletin(kind, key, label).state == "compiled"
    # October's compile failed (the database went away, say); beat now names November only.
    october = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-10")
    database.session.execute(update(Bulletin).where(Bulletin.id == october.bulletin_id).values(state="failed"))
    database.session.commit()

    missing = bulletins.missing("month", TODAY)

    assert sorted(missing) == sorted((kind, key, "2026-10") for kind, key in every)
    for item in missing:
        assert bulletins.compile_bulletin(*item).state == "compiled"
    assert bulletins.missing("month", TODAY) == []
    assert bulletins.missing("month", TODAY, count=4) != [], "August lies beyond the catch-up window"
    versions = database.session.scalars(select(Bulletin.version).where(Bulletin.period == "2026-10")).all()
    assert set(versions) == {1}, "the failed row was taken over, not duplicated"


def test_a_dropped_connection_during_a_compile_is_raised_for_the_task_to_retry(app, city, monkeypatch):
    from sqlalchemy.exc import OperationalError
    tree, _unit = city

    def cut(ctx):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(bulletins, "core_sections", cut)
    key = f"org:{tree['community'].id}"
    with pytest.raises(OperationalError):
        bulletins.compile_bulletin("community", key, "2026-10")
    (row,) = database.session.scalars(select(Bulletin)).all()
    assert row.state == "failed", "the claim is freed for the retry"
    monkeypatch.undo()
    assert bulletins.compile_bulletin("community", key, "2026-10").state == "compiled"
