"""The city sweep: every check of core and of each mode over the whole city, in one process.

    .venv/bin/python bench/sweep.py DATABASE_URL     (a database filled by bench/generate.py)

The first sweep opens every finding, the second is the steady state (nothing new). The
statement count must not depend on the number of members (issue 12: under 60 s at 1M).
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import app_for, counting, result, stopwatch  # noqa: E402


def measure(database_url):
    from core.extensions import db
    from core.sweep import Scope, run_sweep
    app = app_for(database_url)
    out = {}
    with app.app_context():
        for name in ("sweep_first", "sweep_steady"):
            with counting(db.engine) as statements, stopwatch() as seconds:
                run_sweep(Scope.city())
            out[name] = result(seconds(), "s", statements())
        db.engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1]), ensure_ascii=False))
