"""Generate a city of N members: the demo's seed city grown in its own proportions, with every
installed plugin's records (core.demo does the work; this adds timing and ANALYZE).

    .venv/bin/python bench/generate.py MEMBERS DATABASE_URL

The database is taken to every head first and must hold no members. 14,942 members make the
seed city (36 communities, 320 employers); a million make 2,409 communities in 402 streets
and 21,400 employers.
"""
import json
import sys
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import app_for, result, stopwatch  # noqa: E402


def generate(database_url, members, progress=lambda step, seconds: None):
    from core import demo
    from core.cli import upgrade_database
    from core.extensions import db
    app = app_for(database_url)
    with app.app_context(), stopwatch() as seconds:
        upgrade_database()
        demo.load(members=int(members), progress=lambda step: progress(step, seconds()))
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return {"generate": result(seconds(), "s")}


if __name__ == "__main__":
    print(json.dumps(generate(sys.argv[2], sys.argv[1],
                              progress=lambda step, s: print(f"{s:7.1f} s  {step}", file=sys.stderr)),
                     ensure_ascii=False))
