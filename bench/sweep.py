"""The city sweep over many members on PostgreSQL: time per sweep and statements per sweep.

    .venv/bin/python bench/sweep.py --members 100000 1000000

Each size gets a fresh schema: the demo city (36 communities), then its members
copied in one INSERT ... SELECT up to the size asked for. The first sweep opens every
finding, the second is the steady state (nothing new). Statement counts must not
depend on the size; the times are what they are on this machine.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def grow(db, target):
    """Copy demo members (new ids and 身份证 numbers) until there are `target`."""
    have = db.session.scalar(text("select count(*) from member"))
    if target <= have:
        return have
    db.session.execute(text("""
        insert into member (name, name_pinyin, name_initials, gender, ethnicity, birth_date, id_number, phone,
                            address, building, unit_no, room, education, joined_on, confirmed_on,
                            probation_extension_months, status, category, state, affiliation_id, location_id,
                            liaison_group_id, work_unit_id, created_at, updated_at)
        select m.name, m.name_pinyin, m.name_initials, m.gender, m.ethnicity, m.birth_date,
               'B' || lpad(g.n::text, 17, '0'), m.phone, m.address, m.building, m.unit_no, m.room, m.education,
               m.joined_on, m.confirmed_on, m.probation_extension_months, m.status, m.category, m.state,
               m.affiliation_id, m.location_id, case when g.n % 50 = 0 then null else m.liaison_group_id end,
               m.work_unit_id, now(), now()
        from generate_series(1, :extra) as g(n)
        join (select *, row_number() over (order by id) - 1 as k from member) m on m.k = g.n % :have
    """), {"extra": target - have, "have": have})
    db.session.commit()
    db.session.execute(text("analyze"))
    return db.session.scalar(text("select count(*) from member"))


def measure(db, action):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    started = time.perf_counter()
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return result, time.perf_counter() - started, len(statements)


def run(base_url, members):
    schema = "bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    try:
        url = f"{base_url}?options=-csearch_path%3D{schema}"
        os.environ["DATABASE_URL"] = url
        from core import create_app, demo
        from core.cli import upgrade_database
        from core.extensions import db
        from core.sweep import Scope, finish_city_sweep, plan_city_sweep, run_sweep, sweep_part
        app = create_app({"WUGUAN_INSTANCE_PATH": tempfile.mkdtemp(), "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade_database()
            demo.load()
            count = grow(db, members)
            first, first_s, first_n = measure(db, lambda: run_sweep(Scope.city()))
            steady, steady_s, steady_n = measure(db, lambda: run_sweep(Scope.city()))

            def fan_out():
                parent_id, communities = plan_city_sweep(trigger="bench")
                for org_id in [*communities, None]:
                    sweep_part(parent_id, org_id)
                return finish_city_sweep(parent_id)
            parts, parts_s, parts_n = measure(db, fan_out)
            findings = {code: c["open"] for code, c in steady.stats.items()}
            db.session.remove()
            db.engine.dispose()
        return {"members": count, "first_sweep_s": round(first_s, 2), "first_sweep_statements": first_n,
                "steady_sweep_s": round(steady_s, 2), "steady_sweep_statements": steady_n,
                "fan_out_37_parts_in_one_process_s": round(parts_s, 2), "fan_out_statements": parts_n,
                "open_findings": findings}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[100_000])
    parser.add_argument("--database", default=os.environ.get("WUGUAN_BENCH_DATABASE_URL",
                                                              "postgresql+psycopg://127.0.0.1:5432/test"))
    args = parser.parse_args()
    for size in args.members:
        print(json.dumps(run(args.database, size), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
