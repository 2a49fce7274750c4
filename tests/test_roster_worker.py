"""A large roster upload handled by a real `celery worker` process on a private redis-server (no eager mode):
the screen queues an ImportJob, the worker checks it, staff commit, the worker writes it; bad files end with
nothing written. Waits are bounded polls; nothing here asserts speed."""
import datetime as dt
import io
import os

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, ImportJob, Member, Staff
from core.testing import csrf_token, log_in
from factories import org_tree
from test_roster import good_row, number, xlsx
from workerkit import wait_for, wait_ready, worker_args
from workerkit import celery_processes, redis_server  # noqa: F401,F811 (fixtures)

URL = "/admin/roster_import/"


@pytest.fixture
def stack(make_app, redis_server, celery_processes, monkeypatch, tmp_path):  # noqa: F811
    """The app (every upload goes to the workers) and a worker on the same database, broker and instance."""
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("WUGUAN_STRICT_PLUGINS", "1")
    app = make_app(IMPORT_BACKGROUND_BYTES=0)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WUGUAN_INSTANCE_PATH": app.instance_path, "SECRET_KEY": app.config["SECRET_KEY"]}
    worker = celery_processes(env, tmp_path / "worker.log", *worker_args("w"))
    wait_ready(worker)
    with app.app_context():
        tree = org_tree()
        staff = Staff(username="imp", display_name="导入员", role="community", org=tree["community"])
        staff.set_password("口令-2026-imp")
        db.session.add(staff)
        db.session.commit()
        yield app, worker, log_in(app.test_client(), "imp", "口令-2026-imp")


def upload(client, data, name):
    response = client.post(URL, data={"csrf_token": csrf_token(client, URL), "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"], int(response.headers["Location"].rsplit("/", 1)[1])


def settled(job_id, *states):
    def job():
        db.session.expire_all()
        found = db.session.get(ImportJob, job_id)
        return found if found.state in states else None
    return wait_for(job, timeout=90, interval=0.2, what=f"import job {job_id} to reach {states}")


def members():
    return db.session.scalar(select(func.count()).select_from(Member))


def test_a_queued_roster_is_checked_then_committed_by_the_worker(stack):
    app, worker, client = stack
    rows = [good_row(1, f"成员{n}") for n in range(1200)]
    for n, cells in enumerate(rows):  # more members than one birth date's sequence numbers
        cells[1] = number(n % 400, dt.date(1962, 4, 9 + n // 400))
    job_url, job_id = upload(client, xlsx(rows), "大名册.xlsx")
    job = settled(job_id, "checked", "failed", "refused")
    assert job.state == "checked" and job.errors == [], job.message
    assert job.counts["created"] == 1200 and job.done_rows == 1200 and job.total_rows >= 1200
    assert members() == 0
    assert "共 1200 行：新增 1200" in client.get(job_url).get_data(as_text=True)
    client.post(f"{job_url}/commit", data={"csrf_token": csrf_token(client, URL)})
    job = settled(job_id, "done", "failed", "refused")
    assert job.state == "done" and job.finished_at is not None, job.message
    assert client.get(job_url + ".json").get_json()["done"] == 1200
    assert members() == 1200
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert entry.actor == "imp" and entry.after["created"] == 1200
    # The worker ran both steps: the web process's in-process fallback did not.
    wait_for(lambda: worker.text().count("wuguan.import_roster") >= 2 and "succeeded" in worker.text(),
             timeout=30, what="the worker's log of both tasks")


def test_bad_files_end_checked_with_errors_or_refused_and_nothing_is_written(stack):
    app, worker, client = stack
    bad = good_row(3)
    bad[3] = "2016-02-30"
    job_url, job_id = upload(client, xlsx([good_row(1), bad]), "错名册.xlsx")
    job = settled(job_id, "checked", "failed", "refused")
    assert job.state == "checked" and [(e["row"], e["column"]) for e in job.errors] == [(3, "入党日期")]
    assert client.post(f"{job_url}/commit", data={"csrf_token": csrf_token(client, URL)}).status_code == 409
    _url, junk_id = upload(client, b"\x00\x01 not a table", "junk.csv")
    junk = settled(junk_id, "refused", "failed", "checked")
    assert junk.state == "refused" and "不是表格" in junk.message and junk.finished_at is not None
    assert members() == 0
    assert "Traceback" not in worker.text()
