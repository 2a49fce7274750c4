"""Reminders: rules decide outbox rows in one transaction; delivery claims rows before sending.

The outbox row is the truth and Celery only nudges it: a row decided while the broker
was down is found by `due_messages` and sent when workers run again. A claim is a
conditional UPDATE over a batch of rows, so two deliveries of the same rows cannot both
send; a claim older than `WUGUAN_OUTBOX_CLAIM_SECONDS` (its worker died mid-send) is
taken again, so the message that was in flight may be sent twice, with the same Message-ID.
"""
from dataclasses import dataclass, field
import datetime as dt
import json
import logging
from pathlib import Path
import time
import uuid
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
import jinja2
from sqlalchemy import (DateTime, Integer, String, and_, bindparam, case, cast, func, literal, or_, select, text,
                        update)
from sqlalchemy.orm import aliased

from . import channels as channel_registry, dispatch, rules
from .errors import ValidationError
from .extensions import db
from .models import Member, Organization, OutboxMessage, Staff
from .models.base import utcnow
from .contract import ReminderRule
from .plugins import host

log = logging.getLogger("wuguan.reminders")
CORE_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ReminderContext:
    today: dt.date
    settings: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    plugin: str = "core"


def probation_notice(ctx):
    """Branches whose probationary members' year ends within the notice period (DESIGN: remind 30 days before)."""
    from .checks import latest_start
    notice = ctx.today + dt.timedelta(days=ctx.rules["probation_notice_days"])
    ends_soon = or_(*(and_(func.coalesce(Member.probation_extension_months, 0) == ext,
                           Member.joined_on <= latest_start(notice, ctx.rules["probation_months"] + ext),
                           Member.joined_on > latest_start(ctx.today - dt.timedelta(days=1),
                                                           ctx.rules["probation_months"] + ext))
                      for ext in [0, *range(ctx.rules["probation_extension_min_months"],
                                            ctx.rules["probation_extension_max_months"] + 1)]))
    return (select(Organization.email.label("recipient"),
                   (literal("member:") + cast(Member.id, String) + literal(":")
                    + cast(Member.joined_on, String)).label("dedup_key"),
                   Organization.id.label("org_id"), Organization.name.label("org_name"),
                   Member.name.label("name"), Member.joined_on.label("joined_on"),
                   Member.probation_extension_months.label("extension_months"))
            .join(Organization, Organization.id == Member.affiliation_id)
            .where(Member.state == "active", Member.status == "probationary", Organization.email.is_not(None),
                   ends_soon))


@dataclass(frozen=True)
class MemberAddress:
    """How a reminder reaches a member, as SQL over the member's row, so a rule stays one SELECT.

    The member's own mobile (SMS) or e-mail, by their preference, else whichever they have;
    a member with neither is reached through their community's staff inboxes (one row per
    staffer: `dedup_suffix` tells the rows apart), and never through their employer.
    A rule selects `channel` and `recipient` as labelled columns, outer-joins with
    `join(...)` and keeps `reachable` in its WHERE.
    """
    channel: object
    recipient: object
    dedup_suffix: object
    reachable: object
    staff: object
    on: object

    def join(self, statement):
        return statement.outerjoin(self.staff, self.on)


def member_address(member=Member, email=None):
    """`email` replaces the member's own address where a plugin knows a better one (a 责任卡's)."""
    email = member.email if email is None else email
    sms = and_(member.mobile.is_not(None), or_(member.preferred_channel == "sms", email.is_(None)))
    has_email = email.is_not(None)
    no_address = and_(member.mobile.is_(None), email.is_(None))
    staff = aliased(Staff, name="member_staff")
    return MemberAddress(
        channel=case((sms, literal("sms")), (has_email, literal("email")), else_=literal("inbox")),
        recipient=case((sms, member.mobile), (has_email, email), else_=staff.username),
        dedup_suffix=case((no_address, literal(":") + staff.username), else_=literal("")),
        reachable=or_(~no_address, staff.id.is_not(None)),
        staff=staff,
        on=and_(no_address, staff.org_id == member.location_id, staff.active.is_(True)))


def _probation_context(row):
    row["ends_on"] = rules.probation_ends_on(dt.date.fromisoformat(str(row["joined_on"])),
                                             row.get("extension_months") or 0).isoformat()
    return row


CORE_RULES = [
    ReminderRule(code="core.probation_notice", title=_l("预备期届满提醒"), schedule="0 9 * * *",
                 query=probation_notice, template="reminders/probation_notice.txt", channel="email"),
]
# Core's rules may derive values SQL cannot portably compute; plugins put them in their query.
_PREPARE = {"core.probation_notice": _probation_context}


@dataclass(frozen=True)
class RegisteredRule:
    plugin: str
    rule: ReminderRule


def registered_rules():
    found = [RegisteredRule("core", r) for r in CORE_RULES]
    found += [RegisteredRule(name, r) for name, r in host().collect_by_plugin("wuguan_reminder_rules")]
    seen = set()
    for item in found:
        if not isinstance(item.rule, ReminderRule):
            raise TypeError(f"plugin {item.plugin} returned {item.rule!r} from wuguan_reminder_rules")
        if item.rule.code in seen:
            raise ValueError(f"reminder rule code {item.rule.code!r} is used twice")
        seen.add(item.rule.code)
    return found


def template_environment():
    """The deployment's `templates/` in the instance folder first, then each plugin's, then core's."""
    folders = [Path(current_app.instance_path) / "templates"]
    for record in host().loaded():
        module_file = getattr(record.plugin, "__file__", None)
        if module_file:
            folders.append(Path(module_file).parent / "templates")
    folders.append(CORE_TEMPLATES)
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(f) for f in folders]),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def render(env, template, context):
    """A template's first line is the subject, the rest the body."""
    rendered = env.get_template(template).render(**context).strip()
    subject, _, body = rendered.partition("\n")
    return subject.strip()[:255], body.strip()


def _local_zone():
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _window():
    start, _, end = current_app.config["WUGUAN_SEND_WINDOW"].partition("-")
    to_minutes = lambda s: int(s.split(":")[0]) * 60 + int(s.split(":")[1])  # noqa: E731
    return to_minutes(start), to_minutes(end)


def is_working_day(day):
    """chinese-calendar knows the State Council's holidays and swapped weekends for the years it ships;
    past them only weekends are known."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s; counting Monday to Friday as working days", day.year)
        return day.weekday() < 5


def sending_time(now):
    """The first moment at or after `now` (UTC) that falls on a working day inside the sending window."""
    start, end = _window()
    local = now.replace(tzinfo=dt.timezone.utc).astimezone(_local_zone())
    working_only = current_app.config["WUGUAN_WORKING_DAYS_ONLY"]
    for _day in range(60):
        minutes = local.hour * 60 + local.minute
        if (not working_only or is_working_day(local.date())) and minutes < end:
            if minutes < start:
                local = local.replace(hour=start // 60, minute=start % 60, second=0, microsecond=0)
            return local.astimezone(dt.timezone.utc).replace(tzinfo=None)
        local = (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    raise RuntimeError("no working day in the next 60 days")


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def decide(rule_code=None, now=None):
    """Run the rules (or one) and write their outbox rows in one transaction; returns the new rows' ids."""
    now = now or utcnow()
    local_today = now.replace(tzinfo=dt.timezone.utc).astimezone(_local_zone()).date()
    not_before = sending_time(now)
    env = template_environment()
    selected = [r for r in registered_rules() if rule_code is None or r.rule.code == rule_code]
    if rule_code is not None and not selected:
        raise LookupError(f"no reminder rule {rule_code!r}")
    rows = []
    for item in selected:
        rule = item.rule
        settings = current_app.config["RULES"] if item.plugin == "core" else current_app.config["PLUGINS"].get(item.plugin, {})
        ctx = ReminderContext(today=local_today, settings=dict(settings), rules=dict(current_app.config["RULES"]),
                              plugin=item.plugin)
        for found in db.session.execute(rule.query(ctx)).mappings():
            # A rule may choose the channel per row (`channel`, e.g. from `member_address`); templates see it.
            channel = found.get("channel") or rule.channel
            context = {k: _plain(v) for k, v in found.items() if k not in ("recipient", "dedup_key", "context")}
            context["channel"] = channel
            extra = found.get("context")
            if isinstance(extra, str):
                extra = json.loads(extra)
            context.update(extra or {})
            context = _PREPARE.get(rule.code, lambda c: c)(context)
            subject, body = render(env, rule.template, context)
            rows.append({"rule_code": rule.code, "dedup_key": str(found["dedup_key"])[:200], "channel": channel,
                         "recipient": str(found["recipient"]), "subject": subject, "body": body,
                         "org_id": context.get("org_id"), "state": "pending", "attempts": 0,
                         "created_at": now, "not_before": not_before, "history": []})
    ids = enqueue_rows(rows)
    db.session.commit()
    return ids


def enqueue_rows(rows):
    """Insert outbox rows, skipping any (rule_code, dedup_key) already there; returns the new ids."""
    if not rows:
        return []
    table = OutboxMessage.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = (dialect_insert(table).on_conflict_do_nothing(index_elements=["rule_code", "dedup_key"])
                 .returning(table.c.id))
    return sorted(db.session.connection().execute(statement, rows).scalars().all())


def settings():
    config = current_app.config
    return (config["WUGUAN_OUTBOX_MAX_ATTEMPTS"], config["WUGUAN_OUTBOX_RETRY_SECONDS"],
            config["WUGUAN_OUTBOX_CLAIM_SECONDS"])


def _claimable(now):
    max_attempts, _retry, claim_seconds = settings()
    expired = now - dt.timedelta(seconds=claim_seconds)
    return and_(OutboxMessage.attempts < max_attempts,
                or_(and_(OutboxMessage.state == "pending", OutboxMessage.not_before <= now),
                    and_(OutboxMessage.state == "sending", OutboxMessage.claimed_at < expired)))


def bury_poison(now=None):
    """A row whose worker died mid-send on every one of its N attempts is dead, not tried forever."""
    now = now or utcnow()
    max_attempts, _retry, claim_seconds = settings()
    buried = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.state == "sending", OutboxMessage.attempts >= max_attempts,
                                    OutboxMessage.claimed_at < now - dt.timedelta(seconds=claim_seconds))
        .values(state="dead", claim_token=None,
                last_error=_("发送过程中进程%(n)d次中断，已停止重试", n=max_attempts))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return buried


def due_messages(now=None, limit=1000):
    """Rows a delivery should be started for: pending and due, or claimed by a worker that died."""
    now = now or utcnow()
    return db.session.scalars(select(OutboxMessage.id).where(_claimable(now))
                              .order_by(OutboxMessage.id).limit(limit)).all()


@dataclass(frozen=True)
class Outcome:
    state: str  # "sent", "skipped" (someone else has it, or not due), "retry", "dead", "released" (out of time)
    retry_in: float | None = None
    error: str | None = None


def batches(outbox_ids):
    """The rows in groups of WUGUAN_OUTBOX_BATCH, the most one delivery claims at once."""
    size, ids = current_app.config["WUGUAN_OUTBOX_BATCH"], list(outbox_ids)
    return [ids[n:n + size] for n in range(0, len(ids), size)]


def request_delivery(outbox_ids, countdown=None):
    """Ask the workers to deliver these rows, one task per batch; a dropped nudge waits for the flush."""
    for batch in batches(outbox_ids):
        dispatch.nudge("wuguan.deliver", batch, countdown=countdown)


def _attachments(row):
    if row.bulletin_id is None:
        return []
    from .bulletins import attachments
    return attachments(row.bulletin_id)


def deliver(outbox_id, now=None):
    """Deliver one row (see `deliver_batch`); safe to call any number of times."""
    return deliver_batch([outbox_id], now)[outbox_id]


def deliver_batch(outbox_ids, now=None):
    """Claim the claimable rows among `outbox_ids` in one statement, then send them one by one.

    A row is recorded as sent, and the next row's attempt counted, in one transaction
    committed before that next row goes to its channel: a worker that dies costs one
    repeated message (the one in flight) and one attempt of that message only; the rows
    claimed behind it are sent once, late, when their claim expires. A batch stops at
    half the claim's lifetime and gives its unsent rows back ("released"), so no claim
    expires under a worker that is still sending.
    """
    now = now or utcnow()
    token = uuid.uuid4().hex
    rows = _claim(outbox_ids, token, now)
    outcomes = {outbox_id: Outcome("skipped") for outbox_id in outbox_ids}
    if not rows:
        return outcomes
    by_key = channel_registry.channels()
    stop_at = time.monotonic() + settings()[2] / 2
    sent = None
    for n, row in enumerate(rows):
        if n and time.monotonic() > stop_at:  # the first row always goes, so a batch always progresses
            _release(rows[n:], token)
            outcomes.update((r.id, Outcome("released")) for r in rows[n:])
            break
        _advance(token, sent, row.id)
        _commit_unflushed()
        outcomes[row.id] = _send(row, token, by_key)
        sent = row.id if outcomes[row.id].state == "sent" else None
    _advance(token, sent, None)
    _commit_unflushed()
    return outcomes


def _commit_unflushed():
    """Commit without waiting for PostgreSQL to flush it to disk, which cost more than all the
    rest of a message. Other workers see the commit at once; only a crash of the database
    server can lose the last moment's records, and their messages are then sent again with
    their Message-ID, the rare duplicate that says so which a worker's crash may also cause.
    (SQLite runs with synchronous=NORMAL, the same trade.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def _claim(outbox_ids, token, now):
    """Rows another worker is claiming at this moment are skipped on PostgreSQL rather than waited for;
    SQLite runs one writer at a time, so its UPDATE alone is the claim."""
    claimable = (select(OutboxMessage.id).where(OutboxMessage.id.in_(outbox_ids), _claimable(now))
                 .with_for_update(skip_locked=True))
    rows = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(claimable), _claimable(now))
        .values(state="sending", claim_token=token, claimed_at=now)
        .returning(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.subject,
                   OutboxMessage.body, OutboxMessage.bulletin_id, OutboxMessage.attempts, OutboxMessage.history)
        .execution_options(synchronize_session=False)).all()
    _commit_unflushed()
    return sorted(rows, key=lambda row: row.id)


def _advance_statement():
    table = OutboxMessage.__table__
    was_sent = table.c.id == bindparam("sent_id", type_=Integer)
    return (table.update()
            .where(table.c.id.in_([bindparam("sent_id"), bindparam("next_id", type_=Integer)]),
                   table.c.claim_token == bindparam("token", type_=String))
            .values(state=case((was_sent, "sent"), else_=table.c.state),
                    sent_at=case((was_sent, bindparam("now", type_=DateTime)), else_=table.c.sent_at),
                    claim_token=case((was_sent, None), else_=table.c.claim_token),
                    last_error=case((was_sent, None), else_=table.c.last_error),
                    attempts=case((table.c.id == bindparam("next_id"), table.c.attempts + 1),
                                  else_=table.c.attempts)))


# Built once: constructing it anew for every message cost as much as executing it.
_ADVANCE = _advance_statement()


def _advance(token, sent_id, next_id):
    """One statement per message: the row sent last is marked sent, the next one's attempt counted."""
    if sent_id is not None or next_id is not None:
        db.session.execute(_ADVANCE, {"sent_id": sent_id, "next_id": next_id, "token": token, "now": utcnow()})


def _release(rows, token):
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_([row.id for row in rows]),
                                    OutboxMessage.claim_token == token)
        .values(state="pending", claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False))


def _send(row, token, by_key):
    """Hand one claimed row to its channel; a failure is recorded at once, a success with the next row."""
    attempt = row.attempts + 1
    try:
        by_key[row.channel].send(channel_registry.Message(
            outbox_id=row.id, message_id=channel_registry.message_id(row.id), channel=row.channel,
            recipient=row.recipient, subject=row.subject, body=row.body, attachments=_attachments(row)))
        return Outcome("sent")
    except Exception as exc:  # the channel failed: retry later, or give up after N attempts
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        max_attempts, retry_seconds, _claim_seconds = settings()
        history = [*(row.history or []),
                   {"at": utcnow().isoformat(timespec="seconds"), "attempt": attempt, "error": error}]
        if attempt >= max_attempts:
            values, outcome = {"state": "dead"}, Outcome("dead", error=error)
        else:
            wait = retry_seconds * 2 ** (attempt - 1)
            values = {"state": "pending", "not_before": utcnow() + dt.timedelta(seconds=wait)}
            outcome = Outcome("retry", retry_in=wait, error=error)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.claim_token == token)
                           .values(claim_token=None, last_error=error, history=history, **values)
                           .execution_options(synchronize_session=False))
        log.warning("outbox %s attempt %s failed: %s", row.id, attempt, error)
        return outcome


def resend(outbox_id, staff):
    """Staff send a dead message again: it starts over with fresh attempts."""
    row = db.session.get(OutboxMessage, outbox_id)
    if row is None or row.state != "dead":
        raise ValidationError.single("state", _("只有发送失败的消息可以重新发送"))
    row.state, row.attempts, row.not_before, row.claim_token = "pending", 0, utcnow(), None
    row.history = [*(row.history or []), {"at": utcnow().isoformat(timespec="seconds"),
                                          "resend_by": staff.username}]
    db.session.commit()
    return row
