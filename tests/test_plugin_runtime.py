"""The plugin runtime: a plugin that fails in any start-up hook is isolated, hooks run in the
documented order, and a plugin outside the supported plugin API is refused."""
import datetime as dt
import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

from core import create_app
from core.contract import API_VERSION
from core.plugins import BUILTIN_PLUGINS, PluginLoadError

ROOT = Path(__file__).parent.parent
GRID = ROOT / "examples" / "wuguan-grid" / "wuguan_grid"
BUILTINS = [m.rsplit(".", 1)[1] for m in BUILTIN_PLUGINS]

HALFWAY = """
    from core.plugin_api import Check, Mode, ScopedModelView, db, hookimpl

    class HalfwayNote(db.Model):
        __tablename__ = "halfway_note"
        id = db.Column(db.Integer, primary_key=True)
        org_id = db.Column(db.Integer)

    class NoteView(ScopedModelView):
        scope_org_column = "org_id"

    @hookimpl
    def wuguan_modes():
        return [Mode(key="halfway", title="半途管", categories={"halfway_member": "半途党员"})]

    @hookimpl
    def wuguan_checks():
        return [Check(code="halfway.check", title="半途", severity="info", query=lambda ctx: None)]

    @hookimpl
    def wuguan_admin_views(admin):
        admin.add_view(NoteView(HalfwayNote, name="半途记录", category="半途管", endpoint="halfway_note"))
        raise RuntimeError("the second screen is broken")
"""


def test_a_plugin_failing_in_its_admin_views_is_skipped_and_leaves_no_menu_entry(wuguan_plugin, tmp_path):
    wuguan_plugin("halfway", HALFWAY)
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    host = app.extensions["wuguan"]
    record = host.records["halfway"]
    assert record.state == "failed"
    assert record.reason == "wuguan_admin_views: RuntimeError: the second screen is broken"
    assert [r.name for r in host.loaded()] == BUILTINS
    assert "halfway_member" not in host.categories and "halfway" not in host.modes
    assert not host.pm.is_registered(record.plugin)
    (admin,) = app.extensions["admin"]
    assert "halfway_note" not in app.blueprints
    assert "halfway_note" not in {view.endpoint for view in admin._views}
    assert "半途管" not in [str(item.name) for item in admin.menu()]
    with app.app_context():
        from core.sweep import registered_checks
        assert "halfway.check" not in {item.check.code for item in registered_checks()}


def test_a_plugin_failing_in_its_admin_views_stops_start_up_when_strict_naming_plugin_and_hook(
        wuguan_plugin, tmp_path):
    wuguan_plugin("halfway", HALFWAY)
    with pytest.raises(PluginLoadError) as err:
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": True})
    assert "plugin halfway failed: wuguan_admin_views: RuntimeError" in str(err.value)


def test_wuguan_plugins_lists_a_plugin_broken_in_its_admin_views_and_exits_0(wuguan_plugin, tmp_path):
    package = wuguan_plugin("halfway", HALFWAY)
    env = {**os.environ, "PYTHONPATH": str(package.parent), "WUGUAN_INSTANCE_PATH": str(tmp_path),
           "WUGUAN_STRICT_PLUGINS": "0"}
    out = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", "plugins"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    halfway = next(p for p in json.loads(out.stdout) if p["name"] == "halfway")
    assert halfway["state"] == "failed" and halfway["reason"].startswith("wuguan_admin_views: RuntimeError")
    assert "plugin halfway (halfway) failed" in out.stderr  # logged where the operator sees it


@pytest.mark.parametrize("hook, source", [
    ("wuguan_settings", "def wuguan_settings():\n    raise KeyError('threshold')\n"),
    ("wuguan_migrations", "def wuguan_migrations():\n    raise OSError('no folder')\n"),
    ("wuguan_blueprints", "def wuguan_blueprints(app):\n    raise RuntimeError('no routes')\n"),
])
def test_an_exception_in_any_start_up_hook_fails_only_that_plugin(wuguan_plugin, tmp_path, hook, source):
    wuguan_plugin("fragile", "from core.plugin_api import hookimpl\n\n@hookimpl\n" + source)
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    with app.app_context():
        app.extensions["wuguan"].migration_paths()
    record = app.extensions["wuguan"].records["fragile"]
    assert record.state == "failed" and record.reason.startswith(f"{hook}: ")
    assert [r.name for r in app.extensions["wuguan"].loaded()] == BUILTINS


def test_a_plugin_whose_blueprint_name_is_taken_registers_none_of_its_blueprints(wuguan_plugin, tmp_path):
    wuguan_plugin("copycat", """
        from flask import Blueprint
        from core.plugin_api import hookimpl

        mine = Blueprint("copycat_public", __name__)
        mine.add_url_rule("/copycat", "hello", lambda: "hi")

        @hookimpl
        def wuguan_blueprints(app):
            app.register_blueprint(mine)
            app.register_blueprint(Blueprint("dual_public", __name__))
    """)
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    record = app.extensions["wuguan"].records["copycat"]
    assert record.state == "failed" and "blueprint name already taken: dual_public" in record.reason
    assert "copycat_public" not in app.blueprints
    assert app.blueprints["dual_public"].import_name == "plugins.dual.public"


ORDER = """
    from core.plugin_api import hookimpl

    @hookimpl
    def wuguan_settings():
        return {"order": "third party"}
"""


def test_hooks_run_built_ins_first_in_their_order_then_entry_points_by_name(wuguan_plugin, tmp_path):
    wuguan_plugin("zeta", ORDER)
    wuguan_plugin("alpha", ORDER)
    host = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)}).extensions["wuguan"]
    called = [host.pm.get_name(impl.plugin) for impl in reversed(host.hook.wuguan_settings.get_hookimpls())]
    assert called == [*[b for b in BUILTINS if b in called], "alpha", "zeta"]
    assert [r.name for r in host.loaded()] == [*BUILTINS, "alpha", "zeta"]


def test_a_plugin_declaring_a_supported_api_range_loads(wuguan_plugin, tmp_path):
    wuguan_plugin("grid", 'WUGUAN_API = ">=1.0,<2"\n')
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)})
    assert app.extensions["wuguan"].records["grid"].state == "loaded"


@pytest.mark.parametrize("declared, reason", [
    (">=2.0,<3", f"supports plugin API <3,>=2.0, this wuguan provides plugin API {API_VERSION}"),
    ("one point oh", "WUGUAN_API 'one point oh' is not a version range such as '>=1.0,<2'"),
])
def test_a_plugin_outside_the_plugin_api_is_refused_with_the_reason(wuguan_plugin, tmp_path, declared, reason):
    wuguan_plugin("grid", f"WUGUAN_API = {declared!r}\n")
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    record = app.extensions["wuguan"].records["grid"]
    assert (record.state, record.reason) == ("failed", reason)
    with pytest.raises(PluginLoadError, match="plugin grid failed: "):
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path / "strict"), "WUGUAN_STRICT_PLUGINS": True})


def test_the_example_built_against_the_previous_api_still_loads(wuguan_plugin, make_app):
    """examples/wuguan-grid predates the API version: it declares no WUGUAN_API, only its
    distribution's range of wuguan versions (the old form)."""
    wuguan_plugin("grid", module="wuguan_grid", package_dir=GRID, requires=["wuguan>=0.1,<1"])
    app = make_app(WUGUAN_STRICT_PLUGINS=True)
    host = app.extensions["wuguan"]
    assert host.records["grid"].state == "loaded"
    assert host.categories["grid_member"][0].key == "grid"


def _direct_fingerprint(app):
    import hashlib
    from sqlalchemy import inspect as db_inspect, text
    from core import demo
    from core.extensions import db
    with app.app_context():
        demo.load(today=dt.date(2026, 11, 29), members=1000)
        inspector = db_inspect(db.engine)
        rows = {}
        for table in sorted(t for t in inspector.get_table_names() if t.startswith("direct_")):
            columns = [c["name"] for c in inspector.get_columns(table) if c["name"] not in ("created_at", "updated_at")]
            rows[table] = db.session.execute(text(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY 1')).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_a_third_partys_demo_data_changes_no_built_ins_demo_data(wuguan_plugin, make_app):
    wuguan_plugin("greedy", """
        from core.plugin_api import hookimpl

        @hookimpl(tryfirst=True)
        def wuguan_demo_data(session, demo):
            for _ in range(1000):
                demo.random.random()
                demo.faker.name()
    """)
    alone = _direct_fingerprint(make_app(WUGUAN_PLUGINS=["direct"]))
    beside_greedy = _direct_fingerprint(make_app(WUGUAN_PLUGINS=["direct", "greedy"]))
    assert alone == beside_greedy


def test_a_rule_given_to_the_app_is_merged_with_the_defaults_and_every_check_runs(make_app):
    from core import rules
    app = make_app(RULES={"lapse_months": 7})
    assert app.config["RULES"] == {**rules.DEFAULTS, "lapse_months": 7}
    with app.app_context():
        from core.sweep import run_sweep
        run = run_sweep(today=dt.date(2026, 11, 29))
        assert (run.failures, run.state) == (0, "succeeded")


def test_rules_are_set_in_the_instance_toml_under_core(tmp_path):
    from core import rules
    (tmp_path / "plugins.toml").write_text("[core]\ntransfer_valid_days_local = 15\nlapse_warn_months = [2, 4]\n"
                                           "\n[joint]\n", encoding="utf-8")
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)})
    assert app.config["RULES"] == {**rules.DEFAULTS, "transfer_valid_days_local": 15, "lapse_warn_months": (2, 4)}
    assert "core" not in app.config["PLUGINS"]
    given = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "RULES": {"lapse_months": 8}}).config["RULES"]
    assert (given["transfer_valid_days_local"], given["lapse_months"]) == (15, 8)


@pytest.mark.parametrize("toml, words", [
    ("lapse_monthz = 7", "core has no rule 'lapse_monthz'"),
    ('lapse_months = "7"', "core rule 'lapse_months' must be int, not str ('7')"),
    ("lapse_months = true", "core rule 'lapse_months' must be int, not bool"),
    ("lapse_warn_months = [3]", "core rule 'lapse_warn_months' must be a list of 2 int"),
])
def test_a_bad_rule_stops_start_up_naming_it(tmp_path, toml, words):
    from core.rules import RulesError
    (tmp_path / "plugins.toml").write_text(f"[core]\n{toml}\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)})
    assert words in str(err.value)


def test_run_announces_the_address_only_once_the_web_server_accepts_connections(monkeypatch, tmp_path):
    """The web child binds late (as waitress does after importing the app); until it listens,
    nothing is announced, and when the announcement comes a browser can connect."""
    import signal
    import socket
    from core import runner
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gate = tmp_path / "listen-now"
    web = ("import pathlib, socket, time\n"
           f"while not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.05)\n"
           f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
           "while True: s.accept()[0].close()\n")
    idle = "import time\nwhile True: time.sleep(1)\n"
    monkeypatch.setattr(runner, "commands", lambda host, port: {
        "web": [sys.executable, "-c", web], "worker": [sys.executable, "-c", idle]})
    probes = []
    real_listening = runner.listening

    def listening(host, port):
        answer = real_listening(host, port)
        probes.append(answer)
        if len(probes) == 3:
            gate.touch()  # the server starts listening only after the runner has asked a few times
        return answer

    monkeypatch.setattr(runner, "listening", listening)
    announced = []

    def ready():
        announced.append(real_listening("127.0.0.1", port))
        os.kill(os.getpid(), signal.SIGTERM)  # as Ctrl-C would: stop everything

    assert runner.run_all("127.0.0.1", port, ready=ready) == 0
    assert probes[:3] == [False, False, False]
    assert announced == [True]


def test_tracing_reaches_the_terminal_from_cli_commands(tmp_path):
    env = {**os.environ, "WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_TRACE_PLUGINS": "1"}
    out = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", "plugins"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "hook wuguan_modes plugin direct took" in out.stderr
    assert json.loads(out.stdout)[0]["name"] == "direct"  # stdout stays plain JSON


PATROL = """
    from sqlalchemy import literal, select
    from core.plugin_api import Check, Mode, hookimpl
    from core.models import Member

    @hookimpl
    def wuguan_modes():
        return [Mode(key="grid", title="网格管", categories={"grid_member": "网格党员"})]

    @hookimpl
    def wuguan_checks():
        return [Check(code="grid.unpatrolled", title="未巡查", severity="warning", query=lambda ctx: select(
            Member.id.label("subject_id"), Member.location_id.label("org_id"), literal("未巡查").label("detail"))
            .where(Member.category == "grid_member"))]
"""


def test_findings_of_a_disabled_plugin_are_orphaned_out_of_bulletins_and_closed_by_an_administrator(
        wuguan_plugin, tmp_path):
    from core import bulletins, periods
    from core.extensions import db
    from core.errors import ValidationError
    from core.models import Finding, Organization, Staff
    from core.sweep import close_orphaned, decide_finding, run_sweep
    from core.testing import build_app, fresh_database, _dispose
    from factories import member, org_tree
    wuguan_plugin("grid", PATROL)
    today = dt.date(2026, 11, 29)
    with fresh_database(tmp_path) as url:
        def sweep_with(name, **config):
            app = build_app(url, tmp_path / name, **config)
            with app.app_context():
                run_sweep(today=today)
                found = {(f.check_code, f.plugin, f.state) for f in db.session.scalars(
                    db.select(Finding).where(Finding.check_code == "grid.unpatrolled"))}
                period = periods.parse("2026-11")
                org = db.session.scalar(db.select(Organization).where(Organization.code == "C1"))
                ctx = bulletins.BulletinContext(kind="community", scope=f"org:{org.id}", period=period,
                                                previous=period.previous(), org=org, unit=None, today=today)
                codes = {row[0] for row in bulletins.findings_section(ctx).rows}
            return app, found, codes

        app = build_app(url, tmp_path / "setup")
        with app.app_context():
            tree = org_tree()
            db.session.add(member(tree, category="grid_member"))
            db.session.commit()
        _dispose(app)
        app, found, codes = sweep_with("loaded")
        assert found == {("grid.unpatrolled", "grid", "open")} and "未巡查" in codes
        _dispose(app)
        app, found, codes = sweep_with("disabled", WUGUAN_DISABLED_PLUGINS=["grid"])
        assert found == {("grid.unpatrolled", "grid", "orphaned")}
        assert not any("grid" in code or "巡查" in code for code in codes)  # not even under its raw code
        with app.app_context():
            admin = Staff(username="root", display_name="管理员", role="admin")
            admin.set_password("0123456789ab")
            db.session.add(admin)
            db.session.commit()
            finding = db.session.scalar(db.select(Finding).where(Finding.plugin == "grid"))
            with pytest.raises(ValidationError, match="管理员关闭"):
                decide_finding(finding.id, "acknowledged", admin)
            db.session.rollback()
            assert close_orphaned([finding.id], admin, "插件已卸载") == 1
            closed = db.session.get(Finding, finding.id)
            assert (closed.state, closed.reason, closed.decided_by_id) == ("resolved", "插件已卸载", admin.id)
        _dispose(app)
        app, found, codes = sweep_with("back")
        assert found == {("grid.unpatrolled", "grid", "open")}  # the plugin is back and still finds it
        _dispose(app)


def test_a_plugin_failing_in_wuguan_cli_is_listed_failed_and_the_command_runs(wuguan_plugin, tmp_path):
    package = wuguan_plugin("noisy", """
        from core.plugin_api import hookimpl

        @hookimpl
        def wuguan_cli(cli):
            raise RuntimeError("no commands today")
    """)
    env = {**os.environ, "PYTHONPATH": str(package.parent), "WUGUAN_INSTANCE_PATH": str(tmp_path),
           "WUGUAN_STRICT_PLUGINS": "0"}
    out = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", "plugins"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    noisy = next(p for p in json.loads(out.stdout) if p["name"] == "noisy")
    assert (noisy["state"], noisy["reason"]) == ("failed", "wuguan_cli: RuntimeError: no commands today")


PAIRS = """
    from core.plugin_api import ScopedModelView, db, hookimpl
    from core.models import Organization

    class PairsPairing(db.Model):
        __tablename__ = "pairs_pairing"
        id = db.Column(db.Integer, primary_key=True)
        member_id = db.Column(db.ForeignKey("member.id"))

    class PairsVisit(db.Model):
        __tablename__ = "pairs_visit"
        id = db.Column(db.Integer, primary_key=True)
        pairing_id = db.Column(db.ForeignKey("pairs_pairing.id"))
        org_id = db.Column(db.ForeignKey("organization.id"))
        note = db.Column(db.String(40))
        pairing = db.relationship(PairsPairing)
        org = db.relationship(Organization)

    class VisitView(ScopedModelView):
        scope_through = "pairing"  # no member ids copied: a visit is seen by whoever sees its pairing
        choice_filters = {"org": Organization.kind == "branch"}
        column_list = form_columns = ["pairing", "org", "note"]

    class PairingView(ScopedModelView):
        scope_member_column = "member_id"

    @hookimpl
    def wuguan_admin_views(admin):
        admin.add_view(VisitView(PairsVisit, name="走访", category="结对", endpoint="pairs_visit"))
        admin.add_view(PairingView(PairsPairing, name="结对", category="结对", endpoint="pairs_pairing"))
"""


def test_a_screen_scoped_through_a_relationship_and_a_select_filtered_to_branches(wuguan_plugin, make_app):
    import re
    from core.testing import log_in
    from factories import member, org_tree
    wuguan_plugin("pairs", PAIRS)
    app = make_app()
    with app.app_context():
        from core.extensions import db
        from core.models import Staff
        from pairs import PairsPairing, PairsVisit
        db.metadata.create_all(db.engine, tables=[PairsPairing.__table__, PairsVisit.__table__])
        tree = org_tree()
        here = member(tree)
        away = member(tree, affiliation=tree["other"], location=tree["other"], liaison_group=None)
        db.session.add_all([here, away])
        db.session.flush()
        db.session.add_all([PairsVisit(pairing=PairsPairing(member_id=here.id), note="本社区的走访"),
                            PairsVisit(pairing=PairsPairing(member_id=away.id), note="别的社区的走访")])
        staff = Staff(username="c1", display_name="和平", role="community", org=tree["community"])
        staff.set_password("0123456789ab")
        db.session.add(staff)
        db.session.commit()
    client = log_in(app.test_client(), "c1", "0123456789ab")
    listing = client.get("/admin/pairs_visit/").get_data(as_text=True)
    assert "本社区的走访" in listing and "别的社区的走访" not in listing
    form = client.get("/admin/pairs_visit/new/").get_data(as_text=True)
    select = re.search(r'<select[^>]*id="org".*?</select>', form, re.S).group(0)
    offered = re.findall(r"<option[^>]*>([^<]+)</option>", select)
    assert [o for o in offered if o != "__None"] == ["和平社区第一党支部"]  # a branch in scope: not the community, street or district


def test_an_administrator_closes_a_removed_plugins_findings_on_the_findings_screen(db, staff_client):
    from core.models import Finding
    from core.testing import csrf_token
    from factories import org_tree
    tree = org_tree()
    left = Finding(check_code="gone.check", plugin="gone", severity="warning", subject_id=1,
                   org_id=tree["community"].id, detail="x", state="orphaned")
    live = Finding(check_code="core.no_liaison_group", plugin="core", severity="warning", subject_id=2,
                   org_id=tree["community"].id, detail="y", state="open")
    db.session.add_all([left, live])
    db.session.commit()
    community = staff_client("community", tree["community"])
    token = csrf_token(community, "/admin/finding/")
    assert community.post("/admin/finding/action/", data={"action": "close_orphaned", "rowid": [left.id],
                                                          "csrf_token": token}).status_code == 403
    admin = staff_client("admin")
    listing = admin.get("/admin/finding/?flt0_plugin_equals=gone").get_data(as_text=True)
    assert "所属插件已停用" in listing
    token = csrf_token(admin, "/admin/finding/")
    to_close = admin.post("/admin/finding/action/", data={"action": "close_orphaned",
                                                          "rowid": [left.id, live.id], "csrf_token": token})
    page = admin.get(to_close.headers["Location"]).get_data(as_text=True)
    assert "gone：1" in page
    assert admin.post(to_close.headers["Location"], data={"reason": "", "csrf_token": token}).status_code == 200
    assert db.session.get(Finding, left.id).state == "orphaned"  # no reason, nothing closed
    done = admin.post(to_close.headers["Location"], data={"reason": "插件已卸载", "csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Finding, left.id).state, db.session.get(Finding, live.id).state) == ("resolved", "open")


def test_a_category_changed_in_the_member_form_is_a_move_between_modes(db, staff_client):
    from core.models import Member
    from core.testing import csrf_token
    from factories import member, org_tree
    tree = org_tree()
    someone = member(tree, category="retired")
    db.session.add(someone)
    db.session.commit()
    editor = staff_client("community", tree["community"], sensitive=True)
    form = {"csrf_token": csrf_token(editor, f"/admin/member/edit/?id={someone.id}"), "name": someone.name,
            "id_number": someone.id_number, "gender": "female", "birth_date": "1960-05-17", "ethnicity": "汉族",
            "joined_on": "1985-07-01", "confirmed_on": "1986-07-01", "status": "full",
            "probation_extension_months": "0", "category": "resident", "state": "active",
            "affiliation": tree["branch"].id, "location": tree["community"].id, "liaison_group": tree["group"].id}
    assert editor.post(f"/admin/member/edit/?id={someone.id}", data=form).status_code == 302
    db.session.expire_all()
    moved = db.session.get(Member, someone.id)
    assert (moved.category, moved.previous_category) == ("resident", "retired")
