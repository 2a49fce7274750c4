"""`wuguan checks`, `wuguan sweep`, `wuguan remind`, `wuguan bulletin`, run against the test app."""
import datetime as dt
import json

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select

from core.cli import cli
from core.extensions import db as database
from core.models import Bulletin, OutboxMessage
from factories import member, org_tree


def _run(app, *args):
    result = CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False)
    return result


def test_checks_lists_every_check_with_its_plugin(app, db):
    result = _run(app, "checks", "--json")
    assert result.exit_code == 0
    listed = {c["code"]: c for c in json.loads(result.output)}
    assert listed["core.transfer_unreceived"] == {"code": "core.transfer_unreceived",
                                                  "title": "介绍信过期未回执（口袋党员风险）", "severity": "serious",
                                                  "plugin": "core", "subject": "transfer"}
    assert "core.lapse_warning" in _run(app, "checks").output


def test_sweep_prints_counts_per_check_for_the_city_or_one_org(app, db):
    tree = org_tree()
    db.session.add_all([member(tree, liaison_group=None), member(tree, liaison_group=None, location=tree["other"])])
    db.session.commit()
    city = json.loads(_run(app, "sweep", "--json").output)
    assert city["state"] == "succeeded" and city["checks"]["core.no_liaison_group"]["new"] == 2
    one = json.loads(_run(app, "sweep", "--org", "C2", "--json").output)
    assert one["checks"]["core.no_liaison_group"] | {"ms": 0} == {
        "rows": 1, "new": 0, "resolved": 0, "open": 1, "ms": 0, "plugin": "core", "severity": "warning"}
    assert "待处理" in _run(app, "sweep").output
    assert _run(app, "sweep", "--org", "NOPE").exit_code != 0


def test_remind_decides_and_sends(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WUGUAN_SEND_WINDOW", "00:00-24:00")
    monkeypatch.setitem(app.config, "WUGUAN_WORKING_DAYS_ONLY", False)
    tree = org_tree()
    tree["branch"].email = "branch@example.org"
    soon = dt.date.today() - dt.timedelta(days=355)
    db.session.add(member(tree, status="probationary", confirmed_on=None, joined_on=soon))
    db.session.commit()
    first = _run(app, "remind", "--rule", "core.probation_notice")
    assert "新增提醒 1 条" in first.output and '"sent": 1' in first.output
    assert "新增提醒 0 条" in _run(app, "remind").output
    assert database.session.scalars(select(OutboxMessage.state)).all() == ["sent"]
    assert _run(app, "remind", "--rule", "nope.rule").exit_code != 0


def test_bulletin_compiles_each_scope_once(app, db):
    tree = org_tree()
    db.session.add(member(tree))
    db.session.commit()
    out = _run(app, "bulletin", "--kind", "community", "--period", "2026-Q3").output
    assert out.count("compiled") == 2
    assert _run(app, "bulletin", "--kind", "community", "--period", "2026-Q3").output.count("skipped") == 2
    again = _run(app, "bulletin", "--kind", "community", "--period", "2026-Q3", "--org", "C1", "--recompile")
    assert again.output.count("compiled") == 1
    assert sorted(database.session.scalars(select(Bulletin.version)).all()) == [1, 1, 2]
    assert _run(app, "bulletin", "--kind", "street", "--period", "2026-13").exit_code != 0
