"""Queues: delivery apart from sweeps and the bulk, so reminders never wait behind a month's bulletins."""
from core import runner
from core.settings import QUEUES


def _queue(celery_app, name):
    return celery_app.amqp.router.route({}, name)["queue"].name


def test_tasks_are_routed_by_kind_of_work():
    from workers import celery as worker_app
    assert {name: _queue(worker_app, name) for name in ("wuguan.deliver", "wuguan.flush_outbox", "wuguan.remind")} \
        == dict.fromkeys(("wuguan.deliver", "wuguan.flush_outbox", "wuguan.remind"), "delivery")
    assert _queue(worker_app, "wuguan.sweep_part") == "sweeps"
    assert _queue(worker_app, "wuguan.compile_bulletin") == "bulk"
    assert _queue(worker_app, "wuguan.import_roster") == "bulk"
    for name in worker_app.tasks:
        if name.startswith("wuguan."):
            assert _queue(worker_app, name) in QUEUES, name


def test_the_embedded_worker_consumes_every_queue():
    worker = runner.commands("127.0.0.1", 5000)["worker"]
    assert set(worker[worker.index("-Q") + 1].split(",")) == set(QUEUES)
