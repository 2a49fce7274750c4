"""Delivery in batches: one statement claims many rows, each is still claimed once and sent once."""
from collections import Counter
import datetime as dt
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select, text

from core import channels, reminders
from core.extensions import db as database
from core.models import OutboxMessage
from core.models.base import utcnow
from core.plugin_api import Channel
from factories import outbox_rows


def _recording_channel(monkeypatch, send=None):
    sent, lock = [], threading.Lock()

    def record(message):
        if send:
            send(message)
        with lock:
            sent.append(message.outbox_id)

    monkeypatch.setattr(channels, "CORE_CHANNELS", [Channel(key="email", title="邮件", send=record)])
    return sent


def _row(outbox_id):
    row = database.session.get(OutboxMessage, outbox_id)
    database.session.refresh(row)
    return row


def test_two_workers_claiming_the_same_rows_at_once_send_each_row_once(app, db, monkeypatch):
    sent = _recording_channel(monkeypatch)
    ids = outbox_rows(40)
    start, results = threading.Barrier(2), []

    def worker():
        with app.app_context():
            start.wait()
            results.append(reminders.deliver_batch(ids))
            database.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(sent) == Counter(ids), "every row sent, none twice"
    for outbox_id in ids:
        assert sorted(r[outbox_id].state for r in results) == ["sent", "skipped"]
    assert {(r.state, r.attempts) for r in database.session.scalars(select(OutboxMessage))} == {("sent", 1)}


def test_a_claim_skips_rows_another_worker_is_claiming_instead_of_waiting(app, db, monkeypatch):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no row another claim could skip")
    sent = _recording_channel(monkeypatch)
    ids = outbox_rows(6)
    with database.engine.connect() as other:
        other.execute(select(OutboxMessage.id).where(OutboxMessage.id.in_(ids[:3])).with_for_update())
        database.session.execute(text("SET LOCAL lock_timeout = '10s'"))  # a claim that waited would fail, not hang
        outcomes = reminders.deliver_batch(ids)
        other.rollback()
    assert sorted(sent) == ids[3:]
    assert [outcomes[i].state for i in ids] == ["skipped"] * 3 + ["sent"] * 3
    assert reminders.due_messages() == ids[:3]


def test_in_a_batch_one_failing_recipient_is_retried_and_the_others_are_sent(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_OUTBOX_RETRY_SECONDS", 10)
    ids = outbox_rows(5)
    refused = ids[2]

    def refuse(message):
        if message.outbox_id == refused:
            raise ConnectionRefusedError("收件人不存在")

    sent = _recording_channel(monkeypatch, send=refuse)
    outcomes = reminders.deliver_batch(ids)
    assert sent == [i for i in ids if i != refused]
    assert outcomes[refused].state == "retry" and outcomes[refused].retry_in == 10
    row = _row(refused)
    assert (row.state, row.attempts, row.claim_token) == ("pending", 1, None)
    assert [h["error"] for h in row.history] == ["ConnectionRefusedError: 收件人不存在"]
    assert row.not_before > utcnow() + dt.timedelta(seconds=5)
    assert {(r.state, r.attempts) for r in map(_row, ids) if r.id != refused} == {("sent", 1)}


def test_a_batch_out_of_time_gives_its_unsent_rows_back_without_counting_an_attempt(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_OUTBOX_CLAIM_SECONDS", 60)
    clock = [1000.0]
    monkeypatch.setattr(reminders, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    sent = _recording_channel(monkeypatch, send=lambda message: clock.__setitem__(0, clock[0] + 31))
    ids = outbox_rows(3)
    outcomes = reminders.deliver_batch(ids)
    assert sent == ids[:1] and [outcomes[i].state for i in ids] == ["sent", "released", "released"]
    assert [(r.state, r.attempts, r.claim_token) for r in map(_row, ids[1:])] == [("pending", 0, None)] * 2
    assert reminders.due_messages() == ids[1:]


def test_a_batch_costs_a_fixed_number_of_statements_per_message(app, db, monkeypatch):
    _recording_channel(monkeypatch)

    def statements(count):
        ids = outbox_rows(count)
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            reminders.deliver_batch(ids)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        database.session.execute(database.delete(OutboxMessage))
        database.session.commit()
        return len(seen)

    per_message = (statements(30) - statements(10)) / 20
    assert per_message == (2 if database.engine.dialect.name == "postgresql" else 1)  # + SET LOCAL on PostgreSQL
    assert statements(10) == (10 + 2) * per_message, "one claim, one record per message, one last record"
