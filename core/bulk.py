"""Loading many rows at once: COPY on PostgreSQL, executemany batches elsewhere.

SQLAlchemy's executemany sends one INSERT per row to psycopg (pipelined, but still a
row at a time); COPY takes a million rows in seconds. COPY skips SQLAlchemy's
column defaults and type processing, so the Python-side defaults are filled here
and JSON values wrapped (None as JSON null, as SQLAlchemy stores it); the tables this
is used for hold plain values otherwise.
"""
from itertools import islice

from sqlalchemy import JSON, func, insert, select

BATCH = 10000


def insert_rows(session, table, rows, return_ids=False):
    """Insert dicts into `table` inside the session's transaction; with `return_ids`, the new
    ids in the rows' order (rows without an id get one from the table's sequence)."""
    rows = iter(rows)
    new_ids = []
    while batch := list(islice(rows, BATCH)):
        if session.get_bind().dialect.name == "postgresql":
            new_ids += _copy(session, table, batch, return_ids)
        elif return_ids:
            result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), batch)
            new_ids += [r[0] for r in result]
        else:
            session.execute(insert(table), batch)
    return new_ids if return_ids else None


def _copy(session, table, batch, return_ids):
    from psycopg.types.json import Json
    if return_ids and "id" not in batch[0]:
        sequence = func.nextval(func.pg_get_serial_sequence(table.name, "id"))
        ids = session.scalars(select(sequence).select_from(func.generate_series(1, len(batch)))).all()
        batch = [{**row, "id": new_id} for row, new_id in zip(batch, ids)]
    columns = list(batch[0])
    missing = [c for c in table.columns if c.name not in batch[0] and c.default is not None
               and (c.default.is_scalar or c.default.is_callable)]
    defaults = {c.name: c.default.arg(None) if c.default.is_callable else c.default.arg for c in missing}
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    names = columns + list(defaults)
    cursor = session.connection().connection.driver_connection.cursor()
    quoted = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        tail = list(defaults.values())
        for row in batch:
            values = [row[c] for c in columns] + tail
            if json_columns:
                values = [Json(v) if n in json_columns else v for n, v in zip(names, values)]
            copy.write_row(values)
    return [row["id"] for row in batch] if return_ids else []
