"""A month's bulletins for the demo city: every community, every street and every employer.

    .venv/bin/python bench/bulletins.py [--period 2026-10]

In one process, on a SQLite file unless WUGUAN_BENCH_DATABASE_URL names PostgreSQL;
reports the time per kind and the statements per compile (which must not depend on
the number of members).
"""
import argparse
from collections import Counter
import json
import os
from pathlib import Path
import sys
import tempfile
import time

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2026-10")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    os.environ.setdefault("DATABASE_URL", os.environ.get("WUGUAN_BENCH_DATABASE_URL")
                          or f"sqlite:///{folder / 'bench.sqlite'}")
    from core import bulletins, create_app, demo
    from core.cli import upgrade_database
    from core.extensions import db
    from core.sweep import run_sweep
    app = create_app({"WUGUAN_INSTANCE_PATH": str(folder / "instance")})
    with app.app_context():
        upgrade_database()
        demo.load()
        run_sweep()
        report = {"database": db.engine.url.get_backend_name()}
        for kind in ("community", "street", "employer"):
            statements = []
            listener = lambda *a: statements.append(a[2])  # noqa: E731
            scopes = bulletins.scopes(kind)
            event.listen(db.engine, "before_cursor_execute", listener)
            started = time.perf_counter()
            states = Counter(bulletins.compile_bulletin(kind, scope, args.period).state for scope, _, _ in scopes)
            elapsed = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", listener)
            report[kind] = {"bulletins": len(scopes), "seconds": round(elapsed, 2), "states": dict(states),
                            "statements_per_compile": round(len(statements) / max(1, len(scopes)), 1)}
        print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
