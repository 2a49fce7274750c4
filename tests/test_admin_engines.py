"""The screens over the workers' output: scoped like the rest, and they call core's functions."""
from sqlalchemy import select

from core.models import AuditEntry
from core.models.bulletins import Bulletin
from core.models.findings import Finding, SweepRun
from core.models.outbox import InboxItem, OutboxMessage
from core.models.base import utcnow
from core.testing import csrf_token
from test_admin_scope import body, city  # noqa: F401  (the two-community fixture)


def finding(db, org, subject, state="open"):
    row = Finding(check_code="core.no_liaison_group", severity="warning", subject_id=subject.id, org_id=org.id,
                  detail=f"{subject.name}没有联络小组", state=state)
    db.session.add(row)
    db.session.commit()
    return row


def test_findings_are_scoped_and_decided_with_a_reason(city, staff_client, db):
    mine = finding(db, city["A"]["community"], city["A"]["members"][0])
    theirs = finding(db, city["B"]["community"], city["B"]["members"][0])
    a = staff_client("community", city["A"]["community"])
    page = body(a.get("/admin/finding/"))
    assert "A成员0没有联络小组" in page and "B成员0没有联络小组" not in page
    assert a.get(f"/admin/finding/decide/?id={theirs.id}").status_code == 404
    token = csrf_token(a, f"/admin/finding/decide/?id={mine.id}")
    refused = a.post(f"/admin/finding/decide/?id={mine.id}", data={"state": "waived", "reason": "", "csrf_token": token})
    assert "豁免须填写理由" in body(refused)
    db.session.expire_all()
    assert db.session.get(Finding, mine.id).state == "open"
    ok = a.post(f"/admin/finding/decide/?id={mine.id}",
                data={"state": "waived", "reason": "已搬离本社区", "csrf_token": token})
    assert ok.status_code == 302
    db.session.expire_all()
    decided = db.session.get(Finding, mine.id)
    assert (decided.state, decided.reason, decided.decided_by_id) == ("waived", "已搬离本社区", a.staff.id)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "finding",
                                                      AuditEntry.actor == a.staff.username))


def test_bulk_acknowledge_touches_only_findings_in_scope(city, staff_client, db):
    mine = finding(db, city["A"]["community"], city["A"]["members"][1])
    theirs = finding(db, city["B"]["community"], city["B"]["members"][1])
    a = staff_client("community", city["A"]["community"])
    a.post("/admin/finding/action/", data={"action": "acknowledge", "rowid": [mine.id, theirs.id],
                                           "csrf_token": csrf_token(a, "/admin/finding/")})
    db.session.expire_all()
    assert db.session.get(Finding, mine.id).state == "acknowledged"
    assert db.session.get(Finding, theirs.id).state == "open"


def test_read_only_staff_cannot_decide(city, staff_client, db):
    mine = finding(db, city["A"]["community"], city["A"]["members"][0])
    r = staff_client("readonly", city["A"]["community"])
    assert r.get(f"/admin/finding/decide/?id={mine.id}").status_code == 403


def test_community_staff_sweep_their_own_community_now(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    response = a.post("/admin/sweep_run/run/", data={"csrf_token": csrf_token(a, "/admin/sweep_run/")})
    assert response.status_code == 302
    run = db.session.scalar(select(SweepRun).order_by(SweepRun.id.desc()))
    assert run.org_id == city["A"]["community"].id and run.state in ("succeeded", "partial")
    no_group = db.session.scalars(select(Finding).where(Finding.check_code == "core.no_liaison_group")).all()
    assert no_group == []  # every fixture member has a liaison group
    assert "巡检完成" in body(a.get("/admin/sweep_run/"))
    b = staff_client("community", city["B"]["community"])
    assert f"/admin/sweep_run/details/?id={run.id}" not in body(b.get("/admin/sweep_run/"))


def test_dead_messages_are_resent_from_the_outbox(city, staff_client, db):
    rows = []
    for key in ("A", "B"):
        row = OutboxMessage(rule_code="core.probation_due", dedup_key=f"x:{key}", channel="email",
                            recipient=f"{key}@example.cn", subject=f"{key}提醒", body="正文",
                            org_id=city[key]["community"].id, state="dead", attempts=5, history=[])
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    a = staff_client("community", city["A"]["community"])
    assert "A提醒" in body(a.get("/admin/outbox/")) and "B提醒" not in body(a.get("/admin/outbox/"))
    a.post("/admin/outbox/action/", data={"action": "resend", "rowid": [r.id for r in rows],
                                          "csrf_token": csrf_token(a, "/admin/outbox/")})
    db.session.expire_all()
    assert [db.session.get(OutboxMessage, r.id).state for r in rows] == ["pending", "dead"]


def test_bulletins_compile_view_and_download_within_scope(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    token = csrf_token(a, "/admin/bulletin/compile/")
    response = a.post("/admin/bulletin/compile/", data={"period": "2026-10", "recompile": "y", "csrf_token": token})
    assert response.status_code == 302
    bulletin = db.session.scalar(select(Bulletin).where(Bulletin.org_id == city["A"]["community"].id))
    assert bulletin.state == "compiled" and bulletin.period == "2026-10"
    assert a.get(f"/admin/bulletin/details/?id={bulletin.id}").status_code == 200
    pdf = a.get(f"/admin/bulletin/download/{bulletin.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    bad = a.post("/admin/bulletin/compile/", data={"period": "2026-13", "csrf_token": token})
    assert "期间格式" in body(bad)
    b = staff_client("community", city["B"]["community"])
    assert b.get(f"/admin/bulletin/download/{bulletin.id}/pdf").status_code == 404
    assert b.get(f"/admin/bulletin/details/?id={bulletin.id}").status_code == 404


def test_inbox_shows_only_the_staffers_own_messages(city, staff_client, db):
    a = staff_client("community", city["A"]["community"])
    b = staff_client("community", city["B"]["community"])
    for n, staff in enumerate((a.staff, b.staff)):
        outbox = OutboxMessage(rule_code="x", dedup_key=f"inbox:{n}", channel="inbox", recipient=staff.username,
                               subject=f"消息{n}", body="正文", state="sent", attempts=1, history=[])
        db.session.add(outbox)
        db.session.flush()
        db.session.add(InboxItem(staff_id=staff.id, outbox_id=outbox.id, subject=f"消息{n}", body="正文",
                                 created_at=utcnow()))
    db.session.commit()
    page = body(a.get("/admin/inbox/"))
    assert "消息0" in page and "消息1" not in page
    theirs = db.session.scalar(select(InboxItem).where(InboxItem.staff_id == b.staff.id))
    assert a.get(f"/admin/inbox/details/?id={theirs.id}").status_code == 404
    mine = db.session.scalar(select(InboxItem).where(InboxItem.staff_id == a.staff.id))
    assert a.get(f"/admin/inbox/details/?id={mine.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(InboxItem, mine.id).read_at is not None


def test_the_dashboard_counts_open_findings_in_scope_by_severity(city, staff_client, db):
    finding(db, city["A"]["community"], city["A"]["members"][0])
    finding(db, city["A"]["community"], city["A"]["members"][1], state="waived")
    finding(db, city["B"]["community"], city["B"]["members"][0])
    import re
    a = staff_client("community", city["A"]["community"])
    box = re.search(r'id="open-findings">(.*?)</div></div>', body(a.get("/admin/")), re.S).group(1)
    assert re.search(r"警告 <strong>1</strong>", box)
    s = staff_client("street", city["street"])
    box = re.search(r'id="open-findings">(.*?)</div></div>', body(s.get("/admin/")), re.S).group(1)
    assert re.search(r"警告 <strong>2</strong>", box)
