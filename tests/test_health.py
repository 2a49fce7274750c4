"""`wuguan health [--json]` and `/healthz`: red exactly when an operator has something to do."""
import datetime as dt
import json

from click.testing import CliRunner
from flask.cli import ScriptInfo
import pytest
from sqlalchemy import update

from core import bulletins
from core.cli import cli
from core.extensions import db as database
from core.models import Bulletin, OutboxMessage, SweepRun
from core.models.base import utcnow
from factories import member, org_tree, outbox_rows


def _health(app):
    result = CliRunner().invoke(cli, ["health", "--json"], obj=ScriptInfo(create_app=lambda: app),
                                catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def _lines(report):
    return {line["name"]: line for line in report["checks"]}


@pytest.fixture
def healthy(app, db):
    """A city swept just now with every recent bulletin compiled."""
    tree = org_tree()
    db.session.add(member(tree))
    db.session.add(SweepRun(scope="city", state="succeeded", stats={}, started_at=utcnow()))
    db.session.commit()
    today = utcnow().date()
    for period_kind in ("month", "quarter", "year"):
        for kind, key, label in bulletins.missing(period_kind, today):
            db.session.add(Bulletin(kind=kind, scope=key, period=label, state="compiled", sections=[]))
    db.session.commit()
    return tree


def test_a_healthy_system_is_green_in_the_command_and_healthz(app, healthy, client, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_HEALTHZ_SECONDS", 0)
    code, report = _health(app)
    assert code == 0 and report["status"] == "ok", report
    assert set(_lines(report)) == {"database", "broker", "last_sweep", "stuck_leases", "outbox", "bulletins"}
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_an_unreachable_broker_is_red_and_healthz_says_only_fail(app, healthy, client, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_HEALTHZ_SECONDS", 0)
    monkeypatch.setitem(app.config["CELERY"], "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config["CELERY"], "broker_transport_options", {})
    code, report = _health(app)
    assert code == 1 and report["status"] == "fail"
    assert [name for name, line in _lines(report).items() if not line["ok"]] == ["broker"]
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "fail"}, "no details for strangers"


def test_stuck_leases_late_mail_an_old_sweep_and_a_missing_month_turn_it_red(app, healthy):
    now = utcnow()
    ids = outbox_rows(2)
    database.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[0]).values(
        state="sending", claimed_at=now - dt.timedelta(hours=1), claim_token="dead"))
    database.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[1]).values(
        not_before=now - dt.timedelta(hours=1)))
    database.session.execute(update(SweepRun).values(started_at=now - dt.timedelta(days=3)))
    previous = bulletins.recent_periods("month", now.date())[1].label
    database.session.execute(update(Bulletin).where(Bulletin.period == previous).values(state="failed"))
    database.session.commit()

    code, report = _health(app)

    lines = _lines(report)
    assert code == 1
    assert {name for name, line in lines.items() if not line["ok"]} == {"stuck_leases", "outbox", "last_sweep",
                                                                          "bulletins"}
    assert lines["stuck_leases"]["value"]["outbox"] == 1
    assert lines["outbox"]["value"]["late"] == 1
    assert all(previous in item for item in lines["bulletins"]["value"]["missing"])


def test_dead_messages_are_counted_but_are_staffs_to_resend(app, healthy):
    (row,) = outbox_rows(1)
    database.session.execute(update(OutboxMessage).where(OutboxMessage.id == row).values(state="dead"))
    database.session.commit()
    code, report = _health(app)
    assert code == 0 and _lines(report)["outbox"]["value"]["dead"] == 1


def test_healthz_answers_from_its_last_report_for_a_while(app, healthy, client, monkeypatch):
    """Anyone may ask /healthz: asking again within WUGUAN_HEALTHZ_SECONDS costs no new report."""
    monkeypatch.setitem(app.config, "WUGUAN_HEALTHZ_SECONDS", 0)
    assert client.get("/healthz").status_code == 200
    monkeypatch.setitem(app.config, "WUGUAN_HEALTHZ_SECONDS", 3600)
    monkeypatch.setitem(app.config["CELERY"], "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config["CELERY"], "broker_transport_options", {})
    assert client.get("/healthz").get_json() == {"status": "ok"}
    monkeypatch.setitem(app.config, "WUGUAN_HEALTHZ_SECONDS", 0)
    assert client.get("/healthz").get_json() == {"status": "fail"}
