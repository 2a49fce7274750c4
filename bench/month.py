"""A whole month of the city: the period's indicators (one pass), then every community's, street's and
employer's bulletin, PDFs included, on two worker processes (this machine's cores).

    .venv/bin/python bench/month.py DATABASE_URL [PERIOD] [WORKERS]   (a database filled by bench/generate.py)

The pass is timed alone; the bulletins are split into one share per worker process, each with its
own app and connection, as Celery's prefork workers would run them.
"""
from concurrent.futures import ProcessPoolExecutor
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import app_for, result, stopwatch  # noqa: E402

KINDS = ("community", "street", "employer")


def _compile_share(database_url, period, share):
    from core import bulletins
    from core.extensions import db
    app = app_for(database_url)
    with app.app_context():
        states = [bulletins.compile_bulletin(kind, scope, period).state for kind, scope in share]
        db.engine.dispose()
    return states


def measure(database_url, period="2026-10", workers=2):
    from core import indicator_pass, bulletins, periods
    from core.extensions import db
    from core.sweep import Scope, run_sweep
    workers = int(workers)
    app = app_for(database_url)
    out = {}
    with app.app_context():
        run_sweep(Scope.city())
        with stopwatch() as seconds:
            indicator_pass.compute(period)
        out["month_indicators"] = result(seconds(), "s")
        indicator_pass.ensure(periods.parse(period).previous().label)
        plan = [(kind, scope) for kind in KINDS for scope, _org, _unit in bulletins.scopes(kind)]
        db.engine.dispose()
    shares = [plan[n::workers] for n in range(workers)]
    with stopwatch() as seconds, ProcessPoolExecutor(workers) as pool:
        states = [s for share in pool.map(_compile_share, [database_url] * workers, [period] * workers, shares)
                  for s in share]
    assert set(states) == {"compiled"}, set(states)
    out["month_bulletins"] = result(seconds() / 60, f"min for {len(plan)} bulletins on {workers} workers")
    out["month_bulletin_each"] = result(seconds() * workers / len(plan), "s each")
    return out


if __name__ == "__main__":
    print(json.dumps(measure(*sys.argv[1:]), ensure_ascii=False))
