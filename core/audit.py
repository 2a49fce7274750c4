"""Writes the audit log from the session itself, so no code path can change a record unlogged.

Bulk loads that bypass the ORM (demo data, imports) call `record` once for the whole batch.
Personal columns (declared on the model, core.privacy) are logged as keyed fingerprints: the
log shows that a 身份证 or a phone changed, and whether two entries hold the same value, but
no reader of the log, with or without the right, reads the value there.
"""
import contextlib
import contextvars
import datetime as dt
import decimal

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, event, insert, inspect, select
from sqlalchemy.orm import Session

from . import privacy
from .models.audit import AuditEntry
from .models.base import Audited, utcnow

ACTIONS = {"insert": _l("新增"), "update": _l("修改"), "delete": _l("删除"), "export": _l("导出"),
           "demo": _l("装入演示数据"), "password": _l("修改密码")}
TABLES = {"member": _l("党员"), "organization": _l("党组织"), "work_unit": _l("工作单位"), "transfer": _l("组织关系转接"),
          "identity_conflict": _l("身份冲突"),
          "activity": _l("组织生活"), "attendance": _l("出席情况"), "staff": _l("工作人员")}

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


def _logged(model, key, value):
    return privacy.fingerprint(value) if key in privacy.columns(model) else _plain(value)


def _snapshot(obj, only=None):
    state = inspect(obj)
    skip = set(getattr(obj, "__audit_exclude__", ()))
    return {a.key: _logged(type(obj), a.key, getattr(obj, a.key)) for a in state.mapper.column_attrs
            if a.key not in skip and (only is None or a.key in only)}


def _changes(obj, stored):
    """Before and after of the changed columns; `stored` is the row as the database held it."""
    state = inspect(obj)
    skip = set(getattr(obj, "__audit_exclude__", ()))
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        if attr.key in skip:
            continue
        hist = state.attrs[attr.key].history
        if hist.added:
            old = hist.deleted[0] if hist.deleted else stored.get(attr.key)
            new = hist.added[0]
            if old != new:
                before[attr.key], after[attr.key] = _logged(type(obj), attr.key, old), _logged(type(obj), attr.key, new)
    return before, after


def _row(obj, action, before, after):
    actor_id, actor = current_actor()
    pk = inspect(obj).mapper.primary_key_from_instance(obj)
    return {"at": utcnow(), "actor_id": actor_id, "actor": actor, "table_name": obj.__tablename__,
            "record_id": ",".join(str(k) for k in pk), "action": action,
            "before": before, "after": after}


@event.listens_for(Session, "before_flush")
def _load_stored_rows(session, flush_context, instances):
    """Old values of expired attributes were never loaded: fetch them, one SELECT per model."""
    by_model = {}
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            by_model.setdefault(type(obj), []).append(obj)
    stored = session.info.setdefault("audit_stored", {})
    for model, objs in by_model.items():
        table = model.__table__
        (pk,) = table.primary_key.columns
        ids = [inspect(o).identity[0] for o in objs]
        with session.no_autoflush:
            for row in session.connection().execute(select(table).where(pk.in_(ids))).mappings():
                stored[(model, row[pk.name])] = dict(row)


@event.listens_for(Session, "after_flush")
def _log_flush(session, flush_context):
    stored = session.info.pop("audit_stored", {})
    rows = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append(_row(obj, "insert", None, _snapshot(obj)))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            identity = inspect(obj).identity
            before, after = _changes(obj, stored.get((type(obj), identity[0] if identity else None), {}))
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


def fingerprint_history(connection, metadata, batch=1000):
    """Rewrite entries written before personal values were fingerprinted: every personal column's
    value in `before`/`after` becomes its fingerprint, so an upgraded log holds no number either.
    Entries already fingerprinted are left as they are; returns how many entries changed."""
    personal = {name: {c.key for c in table.columns if privacy.kind_of(c)} for name, table in metadata.tables.items()}
    personal = {name: keys for name, keys in personal.items() if keys}
    log = AuditEntry.__table__
    changed, last = 0, 0
    while True:
        rows = connection.execute(select(log.c.id, log.c.table_name, log.c.before, log.c.after)
                                  .where(log.c.id > last, log.c.table_name.in_(personal))
                                  .order_by(log.c.id).limit(batch)).all()
        if not rows:
            return changed
        updates = []
        for row in rows:
            keys = personal[row.table_name]
            before, after = _fingerprinted(row.before, keys), _fingerprinted(row.after, keys)
            if (before, after) != (row.before, row.after):
                updates.append({"entry": row.id, "before": before, "after": after})
        if updates:
            connection.execute(log.update().where(log.c.id == bindparam("entry")), updates)
            changed += len(updates)
        last = rows[-1].id


def _fingerprinted(values, keys):
    if not values:
        return values
    return {k: (v if k not in keys or v in (None, "") or str(v).startswith("指纹:") else privacy.fingerprint(v))
            for k, v in values.items()}

