"""F1: a dropped database connection (a PostgreSQL restart or failover does the same) costs a
reconnect, not the next piece of work; the Celery tasks retry transient errors with backoff."""
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from core import sweep
from core.extensions import db
from core.models import SweepRun
from core.testing import _dispose, _test_database_setting, build_app, fresh_database
from factories import member, org_tree


@pytest.fixture
def named_app(tmp_path):
    """An app whose connections carry an application_name of their own, so only they are cut."""
    if not _test_database_setting():
        pytest.skip("pg_terminate_backend needs PostgreSQL (set WUGUAN_TEST_DATABASE_URL); SQLite has no server")
    name = "wuguan-f1-" + uuid.uuid4().hex[:8]
    with fresh_database(tmp_path) as url:
        app = build_app(f"{url}&application_name={name}", tmp_path / "instance")
        yield app, name, url
        _dispose(app)


def _terminate(url, name):
    killer = create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        cut = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND datname = current_database() AND application_name = :name"), {"name": name}).scalar()
    killer.dispose()
    return cut


def test_sweep_cut_connections_sweep_again(named_app):
    app, name, url = named_app
    with app.app_context():
        tree = org_tree()
        db.session.add(member(tree, liaison_group=None))
        db.session.commit()
        first = sweep.run_sweep()
        assert first.state == "succeeded"
        db.session.remove()
        assert _terminate(url, name) >= 1, "the pooled connection was there to be cut"
        second = sweep.run_sweep()
        assert second.state == "succeeded"
        assert db.session.scalars(select(SweepRun.state).order_by(SweepRun.id)).all() == ["succeeded", "succeeded"]


def test_without_the_pre_ping_the_same_cut_fails_the_sweep(tmp_path):
    """The test above would pass for a wrong reason if the pool never kept the connection."""
    if not _test_database_setting():
        pytest.skip("pg_terminate_backend needs PostgreSQL (set WUGUAN_TEST_DATABASE_URL); SQLite has no server")
    name = "wuguan-f1-" + uuid.uuid4().hex[:8]
    with fresh_database(tmp_path) as url:
        app = build_app(f"{url}&application_name={name}", tmp_path / "instance",
                        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
        try:
            with app.app_context():
                sweep.run_sweep()
                db.session.remove()
                _terminate(url, name)
                with pytest.raises(OperationalError):
                    sweep.run_sweep()
        finally:
            _dispose(app)


def test_every_task_retries_transient_errors_with_capped_backoff():
    from workers import celery as worker_app
    registered = [t for n, t in worker_app.tasks.items() if n.startswith("wuguan.")]
    assert len(registered) >= 10
    for item in registered:
        assert {OperationalError, InterfaceError} <= set(item.autoretry_for), item.name
        assert IntegrityError not in item.autoretry_for, "a duplicate is not transient"
        assert item.retry_backoff and item.retry_backoff_max <= 300, item.name


def test_every_engine_pings_its_connections(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"]
    assert app.config["CELERY"]["database_engine_options"]["pool_pre_ping"]


def test_a_connection_lost_mid_sweep_fails_the_run_and_raises_for_the_retry(app, db, monkeypatch):
    """A dropped connection is not the check's fault: the run is failed (not left running, not
    `partial` with a bogus check error) and the error goes up for the task to retry."""
    def cut(*args):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(sweep, "_reconcile", cut)
    with pytest.raises(OperationalError):
        sweep.run_sweep()
    monkeypatch.undo()
    assert db.session.scalars(select(SweepRun.state)).all() == ["failed"]
    assert sweep.run_sweep().state == "succeeded"
