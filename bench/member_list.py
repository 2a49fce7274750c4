"""The admin's member list through the real Flask app: median of repeated requests, statements per request.

    .venv/bin/python bench/member_list.py DATABASE_URL     (a database filled by bench/generate.py)

One community's first page as that community's staffer, a pinyin-initials search as a
street staffer, and the city-wide first page as an administrator (issue 12: under 200 ms
at 1M and no more than twice the 10k time).
"""
import json
import statistics
import sys
import uuid
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import app_for, counting, result, stopwatch  # noqa: E402

REPEAT = 15


def timed(client, url, engine):
    client.get(url)  # warm: the first request compiles templates and statements
    samples = []
    with counting(engine) as statements:
        for _ in range(REPEAT):
            with stopwatch() as seconds:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            samples.append(seconds())
    return result(statistics.median(samples) * 1000, "ms", statements() // REPEAT)


def measure(database_url):
    from core.extensions import db
    from core.models import Organization, Staff
    from core.testing import log_in
    app = app_for(database_url, PROPAGATE_EXCEPTIONS=True)
    with app.app_context():
        community = db.session.scalar(select(Organization).where(Organization.kind == "community")
                                      .order_by(Organization.id))
        password = uuid.uuid4().hex
        for username, role, org in (("bench-c", "community", community),
                                    ("bench-s", "street", db.session.get(Organization, community.parent_id)),
                                    ("bench-a", "admin", None)):
            staff = Staff(username=username, display_name=username, role=role, org=org)
            staff.set_password(password)
            db.session.add(staff)
        db.session.commit()
        engine, community_id = db.engine, community.id
    clients = {name: log_in(app.test_client(), name, password) for name in ("bench-c", "bench-s", "bench-a")}
    out = {
        "member_list_community_page": timed(clients["bench-c"], f"/admin/member/?flt1_2={community_id}", engine),
        "member_list_pinyin_search": timed(clients["bench-s"], "/admin/member/?search=zs", engine),
        "member_list_city_page": timed(clients["bench-a"], "/admin/member/", engine),
    }
    with app.app_context():
        db.engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1]), ensure_ascii=False))
