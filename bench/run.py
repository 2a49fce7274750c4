"""Benchmarks at two (or more) sizes side by side, with the ratio between them.

    .venv/bin/python bench/run.py --sizes 10000,1000000 --database-url postgresql://127.0.0.1/test

Each size gets a PostgreSQL schema of its own (or an SQLite file), filled by
bench/generate.py. Prints a table and, with --json, writes the numbers.
Benchmarks: the member list's first page filtered to one community (as that
community's staffer), a pinyin-initials search (as a street staffer), and the
city-wide first page (as an administrator), each with its SQL statement count.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, select, text

sys.path.insert(0, str(Path(__file__).parent))
import generate  # noqa: E402

REPEAT = 15


def database_for(size, base_url):
    if not base_url:
        return f"sqlite:///{tempfile.mkdtemp()}/bench-{size}.sqlite", None
    from core.settings import database_url
    base_url = database_url(base_url)
    schema = f"bench_{size}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}", (engine, schema)


def timed(client, url, engine):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    samples = []
    for n in range(REPEAT + 1):
        if n == 1:
            event.listen(engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        if n:
            samples.append(elapsed)
    event.remove(engine, "before_cursor_execute", listener)
    return {"ms": round(statistics.median(samples) * 1000, 1), "statements": len(statements) // REPEAT}


def measure(size, base_url):
    from core import create_app
    from core.extensions import db
    from core.models import Organization, Staff
    from core.testing import log_in
    url, cleanup = database_for(size, base_url)
    started = time.monotonic()
    generate.generate(size, url, progress=lambda line: None)
    generated = time.monotonic() - started
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PROPAGATE_EXCEPTIONS": True})
    results = {"generate_s": {"ms": round(generated * 1000), "statements": None}}
    with app.app_context():
        community = db.session.scalar(select(Organization).where(Organization.kind == "community")
                                      .order_by(Organization.id))
        street = db.session.get(Organization, community.parent_id)
        password = uuid.uuid4().hex
        for username, role, org in (("c", "community", community), ("s", "street", street), ("a", "admin", None)):
            staff = Staff(username=username, display_name=username, role=role, org=org)
            staff.set_password(password)
            db.session.add(staff)
        db.session.commit()
        engine = db.engine
        community_id = community.id
    clients = {u: log_in(app.test_client(), u, password) for u in ("c", "s", "a")}
    results["member_list_community_page"] = timed(clients["c"], f"/admin/member/?flt1_2={community_id}", engine)
    results["member_list_pinyin_search"] = timed(clients["s"], "/admin/member/?search=zs", engine)
    results["member_list_city_first_page"] = timed(clients["a"], "/admin/member/", engine)
    with app.app_context():
        db.engine.dispose()
    if cleanup:
        admin_engine, schema = cleanup
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    return results


def table(sizes, results):
    names = list(results[sizes[0]])
    header = ["benchmark", *[f"{s:,} ms (stmts)" for s in sizes], f"ratio {sizes[-1]:,}/{sizes[0]:,}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        cells = []
        for s in sizes:
            r = results[s][name]
            cells.append(f"{r['ms']:,}" + (f" ({r['statements']})" if r["statements"] is not None else ""))
        first, last = results[sizes[0]][name]["ms"], results[sizes[-1]][name]["ms"]
        lines.append("| " + " | ".join([name, *cells, f"{last / first:.2f}" if first else "-"]) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--database-url", help="PostgreSQL base URL; SQLite files when omitted")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {size: measure(size, args.database_url) for size in sizes}
    print(table(sizes, results))
    if args.json:
        Path(args.json).write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2))


if __name__ == "__main__":
    main()
