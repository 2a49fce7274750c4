"""Reliability under faults, with a real redis-server, real `celery worker`/`celery beat` processes and
a real SMTP server (aiosmtpd). Waits are bounded polls; nothing here asserts speed."""
from collections import Counter
import datetime as dt
import json
import os
import re
import uuid

import pytest
import redis
from sqlalchemy import func, select, text

from core import bulletins, dispatch, reminders
from core.channels import message_id
from core.extensions import db
from core.models import Bulletin, OutboxMessage, Staff, SweepRun, WorkUnit
from core.models.base import utcnow
from core.settings import QUEUES
from core.testing import log_in
from factories import member, org_tree, outbox_rows
from workerkit import wait_for, wait_ready, worker_args
from workerkit import celery_processes, redis_server, smtp_sink  # noqa: F401,F811 (fixtures)

CLAIM_SECONDS = 3


@pytest.fixture
def stack(make_app, redis_server, smtp_sink, monkeypatch, tmp_path):  # noqa: F811
    """`stack(**env)`: the test's app and the environment its worker and beat processes share."""
    port, sink = smtp_sink

    def build(pythonpath=None, **extra):
        env = {"REDIS_URL": redis_server.url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
               "WUGUAN_SEND_WINDOW": "00:00-24:00", "WUGUAN_WORKING_DAYS_ONLY": "0",
               "WUGUAN_OUTBOX_CLAIM_SECONDS": str(CLAIM_SECONDS), "WUGUAN_OUTBOX_RETRY_SECONDS": "0.3",
               "WUGUAN_VISIBILITY_TIMEOUT": "5", "WUGUAN_STRICT_PLUGINS": "1", **extra}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        app = make_app()
        child = {**os.environ, **env, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                 "WUGUAN_INSTANCE_PATH": app.instance_path, "SECRET_KEY": app.config["SECRET_KEY"]}
        if pythonpath:
            child["PYTHONPATH"] = os.pathsep.join([str(pythonpath), child.get("PYTHONPATH", "")])
        return app, child, sink

    return build


def _states():
    db.session.expire_all()
    return Counter(db.session.scalars(select(OutboxMessage.state)).all())


def _flush_until(app, done, timeout=120):
    """What beat's periodic flush does, asked for by hand until `done()`."""
    def step():
        with app.app_context():
            if done():
                return True
            dispatch.nudge("wuguan.flush_outbox")
            db.session.remove()
        return False
    wait_for(step, timeout=timeout, interval=1, what="the outbox to drain")


def test_sigkill_mid_batch_loses_nothing_and_resends_only_the_message_in_flight(stack, celery_processes, tmp_path):
    # Claims live long enough here that the batch is never cut short by its own deadline.
    app, env, sink = stack(WUGUAN_OUTBOX_CLAIM_SECONDS="10")
    with app.app_context():
        ids = outbox_rows(20)
        reminders.request_delivery(ids)  # one task, one batch
    first = celery_processes(env, tmp_path / "w1.log", *worker_args("w1"))
    # The kill lands while the server holds the fifth message and has not yet said 250.
    sink.on_message = lambda count: first.kill() if count == 5 else None
    wait_for(lambda: first.process.poll() is not None, what="the worker to be killed")
    sink.on_message = None
    in_flight = sink.messages[4]["message_id"]
    with app.app_context():
        assert _states() == Counter({"sent": 4, "sending": 16}), "claimed together, recorded one by one"
        attempts = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.attempts)
                                           .where(OutboxMessage.state == "sending")).all())
        assert [i for i, n in attempts.items() if n] == [_id_of(app, in_flight)] and set(attempts.values()) == {0, 1}
    wait_ready(celery_processes(env, tmp_path / "w2.log", *worker_args("w2")))
    with app.app_context():
        _flush_until(app, lambda: _states() == Counter({"sent": 20}))
        attempts = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.attempts)).all())
    received = Counter(sink.ids())
    assert set(received) == {message_id_for(app, i) for i in ids}, "every reminder arrives"
    # Policy: a claim older than WUGUAN_OUTBOX_CLAIM_SECONDS is sent again, with the same Message-ID;
    # only the message in flight is repeated, and only it was charged the lost attempt.
    assert {m: n for m, n in received.items() if n > 1} == {in_flight: 2}
    assert {i: n for i, n in attempts.items() if n != 1} == {_id_of(app, in_flight): 2}


def _id_of(app, message_id):
    return int(re.fullmatch(r"<wuguan\.outbox\.(\d+)@.*>", message_id).group(1))


def test_a_recipient_the_server_refuses_is_retried_while_the_rest_of_its_batch_goes_out(
        stack, celery_processes, tmp_path):
    app, env, sink = stack()
    with app.app_context():
        ids = outbox_rows(6)
        refused = db.session.get(OutboxMessage, ids[2])
        sink.refuse[refused.recipient] = 1
        reminders.request_delivery(ids)
    celery_processes(env, tmp_path / "worker.log", *worker_args("w"))
    with app.app_context():
        wait_for(lambda: _states() == Counter({"sent": 6}), what="all six to be sent")
        rows = {r.id: r for r in db.session.scalars(select(OutboxMessage))}
    assert sorted(sink.ids()) == sorted(message_id_for(app, i) for i in ids), "each once"
    assert sink.ids()[-1] == message_id_for(app, refused.id), "the refused one went out last, on its retry"
    assert {i: r.attempts for i, r in rows.items() if r.attempts != 1} == {refused.id: 2}
    (failure,) = rows[refused.id].history
    assert failure["attempt"] == 1 and "SMTPRecipientsRefused" in failure["error"]


def _queued(broker):
    return sum(broker.llen(queue) for queue in QUEUES)


def message_id_for(app, outbox_id):
    with app.app_context():
        return message_id(outbox_id)


def test_the_same_delivery_task_delivered_twice_sends_one_email(stack, celery_processes, tmp_path):
    app, env, sink = stack()
    with app.app_context():
        ids = outbox_rows(10)
        for _ in range(3):
            for outbox_id in ids:
                assert dispatch.nudge("wuguan.deliver", outbox_id)
    for name in ("a", "b"):
        celery_processes(env, tmp_path / f"{name}.log", *worker_args(name, concurrency=2))
    with app.app_context():
        wait_for(lambda: _states() == Counter({"sent": 10}), what="all ten to be sent")
    broker = redis.Redis.from_url(env["REDIS_URL"])
    wait_for(lambda: _queued(broker) == 0, what="the queue to empty")
    assert sorted(sink.ids()) == sorted(message_id_for(app, i) for i in ids)


def test_two_beats_make_one_bulletin_per_scope_and_one_email_per_recipient(stack, celery_processes, tmp_path):
    schedules = {"bulletins-month": 1, "remind-core.probation_notice": 1, "flush-outbox": 1}
    # One period only (the catch-up of earlier months is tested in test_reconcile.py).
    app, env, sink = stack(WUGUAN_SCHEDULES=json.dumps(schedules), WUGUAN_BULLETIN_CATCH_UP="1")
    with app.app_context():
        tree = org_tree()
        tree["branch"].email = "branch@example.org"
        unit = WorkUnit(name="金川集团", kind="state_owned", email="party@jnmc.example")
        db.session.add_all([unit, member(tree, category="in_service", work_unit=unit),
                            member(tree, status="probationary", confirmed_on=None,
                                   joined_on=dt.date.today() - dt.timedelta(days=355))])
        db.session.commit()
        expected_scopes = sum(len(bulletins.scopes(k)) for k in ("community", "street", "employer"))
    worker = celery_processes(env, tmp_path / "worker.log", *worker_args("w", concurrency=2))
    wait_ready(worker)
    beats = [celery_processes(env, tmp_path / f"beat{n}.log", "beat", "--loglevel=INFO",
                              "-s", str(tmp_path / f"beat{n}-schedule")) for n in (1, 2)]
    wait_for(lambda: all(b.text().count("Sending due task bulletins-month") >= 3 for b in beats), timeout=90,
             what="both beats to fire three times")
    for beat in beats:
        beat.stop()
    broker = redis.Redis.from_url(env["REDIS_URL"])
    with app.app_context():
        def settled():
            db.session.expire_all()
            compiled = db.session.scalar(select(func.count()).select_from(Bulletin).where(Bulletin.state == "compiled"))
            return compiled == expected_scopes and _states() == Counter({"sent": 2}) and _queued(broker) == 0
        wait_for(settled, timeout=90, what="bulletins and mail to settle")
        keys = db.session.execute(select(Bulletin.scope, Bulletin.kind, Bulletin.period, Bulletin.version)).all()
        assert len(keys) == expected_scopes and {k[3] for k in keys} == {1}
    assert sorted(m["to"][0] for m in sink.messages) == ["branch@example.org", "party@jnmc.example"]
    employer_mail = next(m for m in sink.messages if m["to"] == ["party@jnmc.example"])
    assert employer_mail["attachments"][0].endswith(".pdf")


def test_a_raising_check_in_the_fanned_out_sweep_is_recorded_and_the_sweep_completes(
        stack, celery_processes, wuguan_plugin, tmp_path):
    package = wuguan_plugin("boom", """
        from core.plugin_api import Check, hookimpl

        def explode(ctx):
            raise RuntimeError("检查视图缺失")

        @hookimpl
        def wuguan_checks():
            return [Check(code="boom.explode", title="总是出错", severity="info", query=explode)]
    """)
    app, env, _ = stack(pythonpath=package.parent)
    with app.app_context():
        tree = org_tree()
        db.session.add_all([member(tree, liaison_group=None), member(tree, liaison_group=None,
                                                                       location=tree["other"])])
        db.session.commit()
        assert dispatch.nudge("wuguan.sweep_city")
    celery_processes(env, tmp_path / "worker.log", *worker_args("w", concurrency=2))
    with app.app_context():
        def finished():
            db.session.expire_all()
            return db.session.scalar(select(SweepRun).where(SweepRun.parent_id.is_(None),
                                                            SweepRun.finished_at.is_not(None)))
        parent = wait_for(finished, timeout=90, what="the city sweep to finish")
        children = db.session.scalars(select(SweepRun).where(SweepRun.parent_id == parent.id)).all()
        assert len(children) == 3  # two communities and what lies outside them
        assert parent.state == "partial" and parent.failures == 3
        assert {e["error"] for e in parent.stats["boom.explode"]["errors"]} == {"RuntimeError: 检查视图缺失"}
        assert parent.stats["core.no_liaison_group"]["open"] == 2


def test_redis_down_while_staff_work_then_reminders_go_out_when_it_returns(stack, celery_processes, redis_server,
                                                                          tmp_path):
    app, env, sink = stack()
    wait_ready(celery_processes(env, tmp_path / "worker.log", *worker_args("w")))
    redis_server.stop()
    with app.app_context():
        tree = org_tree()
        tree["branch"].email = "branch@example.org"
        db.session.add(member(tree, status="probationary", confirmed_on=None,
                              joined_on=dt.date.today() - dt.timedelta(days=355)))
        db.session.commit()
        staff = Staff(username="zhou", display_name="周书记", role="community", org=tree["community"])
        staff.set_password("口令-2026")
        db.session.add(staff)
        db.session.commit()
        browser = log_in(app.test_client(), "zhou", "口令-2026")
        assert browser.get("/admin/").status_code == 200
        assert "党员名册" in browser.get("/admin/member/").get_data(as_text=True)
        (decided,) = reminders.decide("core.probation_notice")
        ids = [decided, *outbox_rows(3)]
        assert dispatch.nudge("wuguan.deliver", decided) is False, "the nudge is dropped, not raised"
        compiled = bulletins.compile_bulletin("community", f"org:{tree['community'].id}", "2026-10")
        assert compiled.state == "compiled"
        assert _states() == Counter({"pending": 4})
    redis_server.start()
    _flush_until(app, lambda: _states() == Counter({"sent": 4}))
    assert sorted(sink.ids()) == sorted(message_id_for(app, i) for i in ids)


def test_a_poison_message_stops_after_n_attempts(stack, celery_processes, smtp_sink, tmp_path):
    from workerkit import free_port
    app, env, sink = stack(MAIL_PORT=str(free_port()), WUGUAN_OUTBOX_MAX_ATTEMPTS="3")
    with app.app_context():
        (outbox_id,) = outbox_rows(1)
        assert dispatch.nudge("wuguan.deliver", outbox_id)
    worker = celery_processes(env, tmp_path / "worker.log", *worker_args("w"))
    with app.app_context():
        wait_for(lambda: _states() == Counter({"dead": 1}), what="the message to be given up")
        row = db.session.get(OutboxMessage, outbox_id)
        assert row.attempts == 3 and "Connection refused" in row.last_error
        assert dispatch.nudge("wuguan.flush_outbox")
    wait_for(lambda: "wuguan.flush_outbox" in worker.text() and "succeeded" in worker.text().split(
        "wuguan.flush_outbox")[-1], what="the flush to run")
    deliveries = re.findall(r"Task wuguan\.deliver\[\S+\] received", worker.text())
    assert len(deliveries) == 3, "the first try and two retries; a dead message is not tried again"
    assert sink.ids() == []


def test_a_message_that_kills_its_worker_every_time_is_buried_after_n_attempts(
        stack, celery_processes, wuguan_plugin, tmp_path):
    package = wuguan_plugin("crashy", """
        import os
        import signal
        from core.plugin_api import Channel, hookimpl

        def crash(message):
            with open(os.environ["CRASH_LOG"], "a") as log:
                log.write(f"{message.outbox_id}\\n")
            os.kill(os.getpid(), signal.SIGKILL)

        @hookimpl
        def wuguan_channels():
            return [Channel(key="crash", title="崩溃", send=crash)]
    """)
    crashes = tmp_path / "crashes.log"
    crashes.touch()
    app, env, sink = stack(pythonpath=package.parent, WUGUAN_OUTBOX_MAX_ATTEMPTS="3", CRASH_LOG=str(crashes))
    with app.app_context():
        now = utcnow()
        (outbox_id,) = reminders.enqueue_rows([{
            "rule_code": "test.poison", "dedup_key": "1", "channel": "crash", "recipient": "x", "subject": "毒",
            "body": "", "state": "pending", "attempts": 0, "created_at": now, "not_before": now, "history": []}])
        db.session.commit()
        assert dispatch.nudge("wuguan.deliver", outbox_id)
    worker = celery_processes(env, tmp_path / "worker.log", *worker_args("w"))
    _flush_until(app, lambda: _states() == Counter({"dead": 1}))
    with app.app_context():
        row = db.session.get(OutboxMessage, outbox_id)
        assert row.attempts == 3 and "3次中断" in row.last_error
        skipped = worker.text().count("'skipped'")
        assert dispatch.nudge("wuguan.flush_outbox") and dispatch.nudge("wuguan.deliver", outbox_id)
    wait_for(lambda: worker.text().count("'skipped'") > skipped, what="the last delivery to be turned away")
    assert crashes.read_text().split() == [str(outbox_id)] * 3


def test_a_dropped_database_connection_costs_no_sweep_and_no_month(stack, celery_processes, tmp_path):
    """F1 with a real worker: its connections are cut (as by a failover) before a city sweep, then
    before a month's bulletins; each is done in the end."""
    if not os.environ.get("WUGUAN_TEST_DATABASE_URL"):
        pytest.skip("pg_terminate_backend needs PostgreSQL (set WUGUAN_TEST_DATABASE_URL); SQLite has no server")
    app, env, _sink = stack()
    name = "wuguan-worker-" + uuid.uuid4().hex[:8]
    env["DATABASE_URL"] += f"&application_name={name}"
    with app.app_context():
        tree = org_tree()
        db.session.add(member(tree, liaison_group=None))
        db.session.commit()
        scopes = sum(len(bulletins.scopes(kind)) for kind in bulletins.KINDS)
    worker = celery_processes(env, tmp_path / "worker.log", *worker_args("w", concurrency=2))
    wait_ready(worker)

    def city_runs_done(count):
        def done():
            with app.app_context():
                states = db.session.scalars(select(SweepRun.state).where(SweepRun.parent_id.is_(None))).all()
                db.session.remove()
                return states.count("succeeded") == count
        return done

    def cut():
        with app.app_context():
            return db.session.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND datname = current_database() AND application_name = :name"), {"name": name}).scalar()

    with app.app_context():
        assert dispatch.nudge("wuguan.sweep_city")
    wait_for(city_runs_done(1), timeout=120, what="the first city sweep")
    assert cut() >= 1, "the worker kept pooled connections to cut"
    with app.app_context():
        assert dispatch.nudge("wuguan.sweep_city")
    wait_for(city_runs_done(2), timeout=120, what="the sweep after the cut")
    cut()
    with app.app_context():
        assert dispatch.nudge("wuguan.compile_bulletins", "month", "2026-10")

    def compiled():
        with app.app_context():
            states = db.session.scalars(select(Bulletin.state).where(Bulletin.period == "2026-10")).all()
            db.session.remove()
            return states == ["compiled"] * scopes
    wait_for(compiled, timeout=120, what="the month's bulletins")
    with app.app_context():
        runs = db.session.execute(select(SweepRun.id, SweepRun.parent_id, SweepRun.org_id, SweepRun.state)).all()
    problems = [line for line in worker.text().splitlines() if "Error" in line or "ERROR" in line or "Retry" in line]
    # A part cut mid-check is failed and retried whole: no run is left running, every city run succeeds.
    assert "running" not in {run.state for run in runs}, (runs, problems)
    assert {run.state for run in runs if run.parent_id is None} == {"succeeded"}, (runs, problems)
