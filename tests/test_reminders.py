"""Reminders: rules decide outbox rows once; delivery claims, sends, retries, and gives up after N attempts."""
import datetime as dt
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path

import pytest
from sqlalchemy import event, select

from core import channels, reminders
from core.errors import ValidationError
from core.extensions import db as database
from core.models import OutboxMessage, Staff
from core.models.base import utcnow
from core.plugin_api import Channel
from factories import member, org_tree

# 2026-11-02 is a Monday; 09:00 in Shanghai is 01:00 UTC.
MONDAY_9AM = dt.datetime(2026, 11, 2, 1, 0)


@pytest.fixture
def probationers(db):
    tree = org_tree()
    tree["branch"].email = "branch1@example.org"
    due = member(tree, name="李四", status="probationary", confirmed_on=None, joined_on=dt.date(2025, 11, 20))
    later = member(tree, name="王五", status="probationary", confirmed_on=None, joined_on=dt.date(2026, 6, 1))
    db.session.add_all([due, later])
    db.session.commit()
    return tree, due


def _mail(app, outbox_id):
    path = Path(app.instance_path) / "mail" / f"{outbox_id}.eml"
    return message_from_bytes(path.read_bytes(), policy=email_policy)


def test_a_rule_decides_each_reminder_once(app, probationers):
    tree, due = probationers
    ids = reminders.decide("core.probation_notice", now=MONDAY_9AM)
    assert len(ids) == 1
    row = database.session.get(OutboxMessage, ids[0])
    assert row.recipient == "branch1@example.org" and row.org_id == tree["branch"].id
    assert row.subject == "预备党员李四的预备期将于2026-11-20届满"
    assert "讨论其能否按期转为正式党员" in row.body and row.state == "pending"
    assert reminders.decide("core.probation_notice", now=MONDAY_9AM + dt.timedelta(days=1)) == []
    assert database.session.scalar(select(database.func.count()).select_from(OutboxMessage)) == 1


def test_delivery_sends_once_with_a_stable_message_id(app, probationers):
    (outbox_id,) = reminders.decide(now=MONDAY_9AM)
    assert reminders.deliver(outbox_id, now=MONDAY_9AM).state == "sent"
    assert reminders.deliver(outbox_id, now=MONDAY_9AM).state == "skipped"
    mail = channels.read_mail(outbox_id)
    assert mail["Message-ID"] == channels.message_id(outbox_id) == f"<wuguan.outbox.{outbox_id}@localhost>"
    assert "讨论其能否按期转为正式党员" in mail.get_content() and channels.read_mail(outbox_id + 1) is None
    assert mail["To"] == "branch1@example.org" and "李四" in mail["Subject"]
    row = database.session.get(OutboxMessage, outbox_id)
    assert (row.state, row.attempts) == ("sent", 1)


def test_reminders_wait_for_a_working_day_inside_the_window(app):
    with app.app_context():
        saturday_noon = dt.datetime(2026, 11, 7, 4, 0)
        assert reminders.sending_time(saturday_noon) == dt.datetime(2026, 11, 9, 0, 30)  # Monday 08:30 local
        evening = dt.datetime(2026, 11, 2, 11, 0)  # 19:00 local, after the window
        assert reminders.sending_time(evening) == dt.datetime(2026, 11, 3, 0, 30)
        assert reminders.sending_time(MONDAY_9AM) == MONDAY_9AM
        national_day = reminders.sending_time(dt.datetime(2026, 10, 1, 1, 0))
        local_day = (national_day + dt.timedelta(hours=8)).date()
        assert local_day > dt.date(2026, 10, 7) and reminders.is_working_day(local_day)
        assert not any(reminders.is_working_day(dt.date(2026, 10, d)) for d in range(1, local_day.day))


def test_a_message_decided_out_of_hours_is_not_due_until_the_window(app, probationers):
    saturday = dt.datetime(2026, 11, 7, 4, 0)
    (outbox_id,) = reminders.decide(now=saturday)
    assert reminders.due_messages(now=saturday) == []
    assert reminders.deliver(outbox_id, now=saturday).state == "skipped"
    assert reminders.due_messages(now=dt.datetime(2026, 11, 9, 0, 30)) == [outbox_id]


def test_a_failing_channel_retries_with_backoff_then_dies_and_staff_resend(app, probationers, monkeypatch):
    calls = []

    def broken(message):
        calls.append(message.message_id)
        raise ConnectionRefusedError("SMTP 服务器拒绝连接")

    monkeypatch.setattr(channels, "CORE_CHANNELS", [Channel(key="email", title="邮件", send=broken)])
    monkeypatch.setitem(app.config, "WUGUAN_OUTBOX_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "WUGUAN_OUTBOX_RETRY_SECONDS", 10)
    (outbox_id,) = reminders.decide(now=MONDAY_9AM)
    waits = []
    for _ in range(3):
        row = database.session.get(OutboxMessage, outbox_id)
        database.session.refresh(row)
        outcome = reminders.deliver(outbox_id, now=max(row.not_before, utcnow()) + dt.timedelta(seconds=1))
        waits.append(outcome.retry_in)
    assert outcome.state == "dead" and waits == [10, 20, None]
    assert reminders.deliver(outbox_id, now=utcnow() + dt.timedelta(days=1)).state == "skipped"
    row = database.session.get(OutboxMessage, outbox_id)
    database.session.refresh(row)
    assert row.attempts == 3 and "拒绝连接" in row.last_error and len(row.history) == 3
    assert len(calls) == 3 and len(set(calls)) == 1

    staff = Staff(username="op", display_name="运维", role="admin", password_hash="x")
    database.session.add(staff)
    database.session.commit()
    monkeypatch.setattr(channels, "CORE_CHANNELS", [Channel(key="email", title="邮件", send=calls.append)])
    reminders.resend(outbox_id, staff)
    assert reminders.deliver(outbox_id).state == "sent"
    with pytest.raises(ValidationError):
        reminders.resend(outbox_id, staff)


def test_a_claim_left_by_a_dead_worker_is_taken_again_after_it_expires(app, probationers, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_OUTBOX_CLAIM_SECONDS", 60)
    (outbox_id,) = reminders.decide(now=MONDAY_9AM)
    database.session.execute(database.update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                             .values(state="sending", claim_token="dead-worker", claimed_at=MONDAY_9AM,
                                     attempts=1))
    database.session.commit()
    assert reminders.deliver(outbox_id, now=MONDAY_9AM + dt.timedelta(seconds=30)).state == "skipped"
    assert reminders.due_messages(now=MONDAY_9AM + dt.timedelta(seconds=61)) == [outbox_id]
    assert reminders.deliver(outbox_id, now=MONDAY_9AM + dt.timedelta(seconds=61)).state == "sent"
    assert _mail(app, outbox_id)["Message-ID"] == channels.message_id(outbox_id)


def test_a_deployment_overrides_a_template(app, probationers):
    folder = Path(app.instance_path) / "templates" / "reminders"
    folder.mkdir(parents=True)
    (folder / "probation_notice.txt").write_text("【金昌】{{ name }}预备期届满\n\n请{{ org_name }}按期讨论。\n",
                                                 encoding="utf-8")
    try:
        (outbox_id,) = reminders.decide(now=MONDAY_9AM)
        row = database.session.get(OutboxMessage, outbox_id)
        assert (row.subject, row.body) == ("【金昌】李四预备期届满", "请和平社区第一党支部按期讨论。")
    finally:
        (folder / "probation_notice.txt").unlink()


def test_statements_per_remind_do_not_grow_with_members(app, probationers):
    tree, _ = probationers

    def count():
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            reminders.decide(now=MONDAY_9AM)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        database.session.execute(database.delete(OutboxMessage))
        database.session.commit()
        return len(seen)

    small = count()
    database.session.add_all([member(tree, status="probationary", confirmed_on=None, joined_on=dt.date(2025, 11, 25))
                              for _ in range(40)])
    database.session.commit()
    assert count() == small
    assert len(reminders.decide(now=MONDAY_9AM)) == 41


def test_a_row_whose_worker_died_on_every_attempt_is_buried(app, probationers, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_OUTBOX_MAX_ATTEMPTS", 2)
    (outbox_id,) = reminders.decide(now=MONDAY_9AM)
    database.session.execute(database.update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                             .values(state="sending", claim_token="gone", claimed_at=MONDAY_9AM, attempts=2))
    database.session.commit()
    later = MONDAY_9AM + dt.timedelta(hours=1)
    assert reminders.due_messages(now=later) == []
    assert reminders.deliver(outbox_id, now=later).state == "skipped"
    assert reminders.bury_poison(now=later) == 1
    row = database.session.get(OutboxMessage, outbox_id)
    database.session.refresh(row)
    assert row.state == "dead" and "2次中断" in row.last_error
