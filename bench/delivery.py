"""Reminder delivery throughput beside a no-op Celery task's, on the same Redis, in the same run.

    .venv/bin/python bench/delivery.py DATABASE_URL [MESSAGES [CONCURRENCY]]

Starts a private redis-server, an aiosmtpd sink and one `celery worker` on the database
given (issue 12: delivery at least half the no-op task's throughput). Delivery is asked for
the way the reminder and flush tasks ask for it (`reminders.request_delivery`, a task per batch).
"""
import json
import os
from pathlib import Path
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
from harness import result  # noqa: E402


def measure(database_url, messages=1000, concurrency=2):
    messages, concurrency = int(messages), int(concurrency)
    from aiosmtpd.controller import Controller
    import redis
    from factories import outbox_rows
    from workerkit import CeleryProcess, RedisServer, SinkHandler, free_port, wait_for, wait_ready, worker_args

    folder = Path(tempfile.mkdtemp())
    server = RedisServer(folder)
    server.start()
    sink = SinkHandler()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {**os.environ, "REDIS_URL": server.url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(controller.port),
           "WUGUAN_SEND_WINDOW": "00:00-24:00", "WUGUAN_WORKING_DAYS_ONLY": "0",
           "WUGUAN_INSTANCE_PATH": str(folder / "instance"),
           "DATABASE_URL": database_url}
    os.environ.update(env)
    from core import create_app, dispatch, reminders
    from core.extensions import db
    app = create_app()
    worker = None
    try:
        with app.app_context():
            ids = outbox_rows(messages, prefix="m", rule_code="bench")
            worker = CeleryProcess(env, folder / "worker.log", *worker_args("bench", concurrency))
            wait_ready(worker)
            broker = redis.Redis.from_url(server.url)

            started = time.perf_counter()
            client = dispatch._client()
            for _ in range(messages):
                client.send_task("celery.accumulate", args=(1,))
            wait_for(lambda: worker.text().count("celery.accumulate") >= 2 * messages, timeout=600,
                     interval=0.05, what="no-op tasks")
            noop_s = time.perf_counter() - started

            started = time.perf_counter()
            reminders.request_delivery(ids)
            wait_for(lambda: len(sink.messages) >= messages, timeout=600, interval=0.05, what="mail")
            deliver_s = time.perf_counter() - started
            assert broker.llen("celery") == 0
            assert len(set(sink.ids())) == messages, "a message was sent twice"
            db.engine.dispose()
        noop, delivered = messages / noop_s, messages / deliver_s
        return {"noop_tasks": result(noop, "/s"), "deliveries": result(delivered, "/s"),
                "deliveries_vs_noop": result(delivered / noop, "ratio")}
    finally:
        if worker:
            worker.stop()
        controller.stop()
        server.stop()


if __name__ == "__main__":
    print(json.dumps(measure(*sys.argv[1:]), ensure_ascii=False))
