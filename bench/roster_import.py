"""The 100,000-row roster import into a generated city: the dry run, then the commit (which
checks again before it writes), and the process's peak memory.

    .venv/bin/python bench/roster_import.py DATABASE_URL [ROWS]   (a database filled by bench/generate.py)

Targets (issue 12): under 60 s and under 500 MB for 100,000 rows on PostgreSQL.
"""
import datetime as dt
import io
import json
import sys
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import app_for, result, stopwatch  # noqa: E402

# A region the generator does not use, so no row collides with a generated member's 身份证.
REGION = "620503"


def roster_file(rows, community, branch):
    """New retirees with distinct valid numbers by construction (500 per birthday)."""
    from core import idcard
    book = Workbook(write_only=True)
    sheet = book.create_sheet("党员名册")
    sheet.append(["姓名", "身份证号码", "入党日期", "转正日期", "类别", "所属党组织", "所在社区"])
    for n in range(rows):
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n // 500)
        number = idcard.make_number(REGION, birth, n % 500, "male" if n % 2 else "female")
        joined = birth + dt.timedelta(days=365 * 25)
        sheet.append([f"导入{n}", number, joined.isoformat(), (joined + dt.timedelta(days=366)).isoformat(),
                      "离退休党员", branch, community])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(database_url, rows=100000):
    from core import roster, scope
    from core.extensions import db
    from core.models import Organization
    app = app_for(database_url, IMPORT_MAX_BYTES=200 * 1024 * 1024)
    with app.app_context():
        community = db.session.scalar(select(Organization).where(Organization.kind == "community")
                                      .order_by(Organization.id))
        branch = db.session.scalar(select(Organization).where(Organization.parent_id == community.id,
                                                              Organization.kind == "branch").order_by(Organization.id))
        data = roster_file(int(rows), community.code, branch.code)
        with stopwatch() as dry_run:
            report = roster.validate(data, "bench.xlsx", scope.OPERATOR)
        assert report.ok and report.counts()["created"] == int(rows), report.counts()
        del report
        with stopwatch() as commit:
            report = roster.commit(data, "bench.xlsx", scope.OPERATOR)
        assert report.committed
        db.engine.dispose()
    return {"import_dry_run": result(dry_run(), "s"), "import_commit": result(commit(), "s")}


if __name__ == "__main__":
    print(json.dumps(measure(*sys.argv[1:]), ensure_ascii=False))
