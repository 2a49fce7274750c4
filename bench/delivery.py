"""Reminder delivery throughput beside a no-op Celery task's, on the same Redis, in the same run.

    .venv/bin/python bench/delivery.py --messages 1000 --concurrency 2

Starts a private redis-server, an aiosmtpd sink and one `celery worker`; the database
is a SQLite file unless WUGUAN_BENCH_DATABASE_URL names a PostgreSQL database, in
which the run gets a schema of its own. Delivery is asked for the way the reminder
and flush tasks ask for it (`reminders.request_delivery`, a task per batch).
"""
import argparse
import json
import os
from pathlib import Path
import sys
import tempfile
import time

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]


def measure(messages=1000, concurrency=2, database_url=None):
    """One run's numbers as a dict (the JSON line `main` prints); `database_url` is PostgreSQL's base URL or None."""
    from aiosmtpd.controller import Controller
    import redis
    from run import database_for
    from factories import outbox_rows
    from workerkit import CeleryProcess, RedisServer, SinkHandler, free_port, wait_for, wait_ready, worker_args

    folder = Path(tempfile.mkdtemp())
    url, cleanup = database_for(f"delivery_{messages}", database_url)
    server = RedisServer(folder)
    server.start()
    sink = SinkHandler()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {**os.environ, "REDIS_URL": server.url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(controller.port),
           "WUGUAN_SEND_WINDOW": "00:00-24:00", "WUGUAN_WORKING_DAYS_ONLY": "0",
           "WUGUAN_INSTANCE_PATH": str(folder / "instance"), "DATABASE_URL": url}
    os.environ.update(env)
    from core import create_app, dispatch, reminders
    from core.cli import upgrade_database
    from core.extensions import db
    app = create_app()
    worker = None
    try:
        with app.app_context():
            upgrade_database()
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
            db.engine.dispose()
        return {"messages": messages, "concurrency": concurrency, "database": url.split(":")[0],
                "noop_tasks_per_s": round(messages / noop_s, 1), "deliveries_per_s": round(messages / deliver_s, 1),
                "distinct_message_ids": len(set(sink.ids()))}
    finally:
        if worker:
            worker.stop()
        controller.stop()
        server.stop()
        if cleanup:
            admin_engine, schema = cleanup
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(measure(args.messages, args.concurrency, os.environ.get("WUGUAN_BENCH_DATABASE_URL"))))


if __name__ == "__main__":
    main()
