"""The 100,000-row roster import: time and peak memory of the dry run and of the commit.

    .venv/bin/python bench/roster_import.py --rows 100000 [--database-url postgresql://127.0.0.1/test]

Targets (issue 12): under 60 s and under 500 MB for 100,000 rows on PostgreSQL.
"""
import argparse
import datetime as dt
import io
import json
import random
import resource
import sys
import time
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).parent))
from run import database_for  # noqa: E402


def roster_file(rows, community, branch, seed=11):
    from core.demo import born
    rng = random.Random(seed)
    used = set()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("党员名册")
    sheet.append(["姓名", "身份证号码", "入党日期", "转正日期", "类别", "所属党组织", "所在社区"])
    for n in range(rows):
        birth, number = born(rng, "retired", "male" if n % 2 else "female", used)
        joined = birth + dt.timedelta(days=365 * 25)
        sheet.append([f"导入{n}", number, joined.isoformat(), (joined + dt.timedelta(days=366)).isoformat(),
                      "离退休党员", branch, community])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(rows, database_url=None, report=print):
    """{dry_run_s, commit_s, peak_mb} of a `rows`-row roster, in a fresh schema (or SQLite file)."""
    from core import create_app, roster, scope
    from core.cli import upgrade_database
    from core.extensions import db
    from core.models import Organization
    url, _ = database_for(rows, database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "IMPORT_MAX_BYTES": 200 * 1024 * 1024})
    with app.app_context():
        upgrade_database()
        community = Organization(kind="community", name="压测社区党委", code="IMP")
        branch = Organization(kind="branch", name="压测社区第一党支部", code="IMPB1", parent=community)
        db.session.add_all([community, branch])
        db.session.commit()
        data = roster_file(rows, community.code, branch.code)
        report(f"file: {len(data) / 1048576:.1f} MB, {rows} rows; peak so far {peak_mb():.0f} MB")
        started = time.monotonic()
        checked = roster.validate(data, "bench.xlsx", scope.OPERATOR)
        dry_run = time.monotonic() - started
        report(f"dry run: {dry_run:.1f} s, {checked.counts()}, peak {peak_mb():.0f} MB")
        del checked
        started = time.monotonic()
        written = roster.commit(data, "bench.xlsx", scope.OPERATOR)
        committed = time.monotonic() - started
        report(f"commit: {committed:.1f} s, committed={written.committed}, peak {peak_mb():.0f} MB")
    return {"dry_run_s": round(dry_run, 1), "commit_s": round(committed, 1), "peak_mb": round(peak_mb())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.database_url)))


if __name__ == "__main__":
    main()
