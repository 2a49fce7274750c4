"""core.bulk.insert_rows: COPY on PostgreSQL skips SQLAlchemy's defaults, so they are filled by hand."""
import datetime as dt

from sqlalchemy import select

from core.bulk import insert_rows
from core.models import OutboxMessage, WorkUnit


def test_rows_get_the_python_side_defaults_and_their_json(db):
    insert_rows(db.session, OutboxMessage.__table__, [
        {"rule_code": "t", "dedup_key": str(n), "channel": "email", "recipient": f"m{n}@example.org",
         "subject": "提醒", "body": "正文", "state": "pending", "attempts": 0, "not_before": dt.datetime(2026, 1, 1),
         "history": [{"n": n, "note": "中文"}] if n else None} for n in range(3)])
    db.session.commit()
    rows = db.session.execute(select(OutboxMessage.dedup_key, OutboxMessage.history, OutboxMessage.created_at)
                              .order_by(OutboxMessage.dedup_key)).all()
    assert [r.history for r in rows] == [None, [{"n": 1, "note": "中文"}], [{"n": 2, "note": "中文"}]]
    assert all(r.created_at is not None for r in rows)


def test_new_ids_come_back_in_the_rows_order_and_the_sequence_moves_past_them(db):
    names = [f"单位{n}" for n in range(25)]
    ids = insert_rows(db.session, WorkUnit.__table__, ({"name": name, "kind": "private"} for name in names),
                      return_ids=True)
    db.session.commit()
    assert dict(db.session.execute(select(WorkUnit.id, WorkUnit.name)).all()) == dict(zip(ids, names))
    later = WorkUnit(name="之后的单位", kind="private")
    db.session.add(later)
    db.session.commit()
    assert later.id > max(ids)


def test_nothing_to_insert_is_no_statement(db):
    assert insert_rows(db.session, WorkUnit.__table__, [], return_ids=True) == []
