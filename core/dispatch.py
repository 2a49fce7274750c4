"""Nudging workers from any process (web, CLI) without depending on the broker being up.

The database rows (outbox, bulletins, sweep runs) are the truth; a task message only
says "look now". When the broker is down the nudge is dropped and logged, and the
periodic outbox flush sends what was decided meanwhile once it is back.
"""
import logging

from celery import Celery
from flask import current_app

log = logging.getLogger("wuguan.dispatch")


def _client():
    client = current_app.extensions.get("celery") or current_app.extensions.get("wuguan_celery_client")
    if client is None:
        client = Celery("wuguan-client", set_as_current=False)
        client.config_from_object(current_app.config["CELERY"])
        current_app.extensions["wuguan_celery_client"] = client
    return client


def nudge(task_name, *args, countdown=None):
    """Send a task by name; returns False (and logs) instead of raising when the broker cannot take it."""
    try:
        _client().send_task(task_name, args=args, countdown=countdown, retry=True,
                            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2})
        return True
    except Exception as exc:  # broker down: the row waits for the flush
        log.warning("could not send %s%r to the broker (%s); it will be picked up later", task_name, args, exc)
        return False
