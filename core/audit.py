"""Writes the audit log from the session itself, so no code path can change a record unlogged.

Bulk loads that bypass the ORM (demo data, imports) call `record` once for the whole batch.
"""
import contextlib
import contextvars
import datetime as dt
import decimal

from flask import has_request_context
from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session

from .models.audit import AuditEntry
from .models.base import Audited, utcnow

_actor = contextvars.ContextVar("wuguan_actor", default=(None, "system"))


@contextlib.contextmanager
def acting_as(name, staff_id=None):
    """Attribute changes made outside a request (CLI, workers) to a named actor."""
    token = _actor.set((staff_id, name))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    if has_request_context():
        from flask_login import current_user
        if getattr(current_user, "is_authenticated", False):
            return current_user.id, current_user.username
    return _actor.get()


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _snapshot(obj, only=None):
    state = inspect(obj)
    skip = set(getattr(obj, "__audit_exclude__", ()))
    return {a.key: _plain(getattr(obj, a.key)) for a in state.mapper.column_attrs
            if a.key not in skip and (only is None or a.key in only)}


def _changes(obj):
    state = inspect(obj)
    skip = set(getattr(obj, "__audit_exclude__", ()))
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        if attr.key in skip:
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            before[attr.key] = _plain(hist.deleted[0]) if hist.deleted else None
            after[attr.key] = _plain(hist.added[0]) if hist.added else None
    return before, after


def _row(obj, action, before, after):
    actor_id, actor = current_actor()
    pk = inspect(obj).identity
    return {"at": utcnow(), "actor_id": actor_id, "actor": actor, "table_name": obj.__tablename__,
            "record_id": ",".join(str(k) for k in pk) if pk else None, "action": action,
            "before": before, "after": after}


@event.listens_for(Session, "after_flush")
def _log_flush(session, flush_context):
    rows = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append(_row(obj, "insert", None, _snapshot(obj)))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                rows.append(_row(obj, "update", before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append(_row(obj, "delete", _snapshot(obj), None))
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def record(session, table_name, action, note, after=None):
    """One entry for a change made in bulk outside the ORM."""
    actor_id, actor = current_actor()
    session.execute(insert(AuditEntry.__table__).values(
        at=utcnow(), actor_id=actor_id, actor=actor, table_name=table_name, record_id=None,
        action=action, before=None, after=after, note=note))
