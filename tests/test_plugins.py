import json
from pathlib import Path

import pytest
from sqlalchemy import inspect

from core import create_app
from core.cli import cli
from core.errors import PluginConflictError
from core.plugins import BUILTIN_PLUGINS, PluginLoadError

SAMPLE = Path(__file__).parent / "thirdparty" / "wuguan_sample" / "src" / "wuguan_sample"
BUILTIN_CATEGORIES = {"resident", "in_service", "retired", "laid_off", "contract_ended", "demobilized",
                      "graduate", "mobile_in", "mobile_out"}


def records(app):
    return app.extensions["wuguan"].records


def test_the_five_builtins_load_and_claim_the_article_categories(app):
    host = app.extensions["wuguan"]
    assert [r.name for r in host.loaded()] == [m.rsplit(".", 1)[1] for m in BUILTIN_PLUGINS]
    assert set(host.categories) == BUILTIN_CATEGORIES
    assert host.categories["retired"][0].key == "joint"
    assert {r.source for r in host.loaded()} == {"builtin"}


def test_disabled_plugin_is_listed_but_not_loaded(tmp_path):
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_DISABLED_PLUGINS": ["joint"]})
    assert records(app)["joint"].state == "disabled"
    assert "retired" not in app.extensions["wuguan"].categories
    assert "resident" in app.extensions["wuguan"].categories


def test_allow_list_loads_only_the_named(tmp_path):
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_PLUGINS": ["direct", "assist"]})
    states = {n: r.state for n, r in records(app).items()}
    assert states == {"direct": "loaded", "dual": "disabled", "joint": "disabled", "takeover": "disabled",
                      "assist": "loaded"}
    assert records(app)["dual"].reason == "not in WUGUAN_PLUGINS"


def test_environment_variables_reach_the_plugin_host(tmp_path, monkeypatch):
    monkeypatch.setenv("WUGUAN_DISABLED_PLUGINS", "dual, takeover")
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)})
    assert {n for n, r in records(app).items() if r.state == "disabled"} == {"dual", "takeover"}


def test_third_party_plugin_from_entry_point_is_loaded_listed_and_migrated(wuguan_plugin, make_app):
    wuguan_plugin("sample", module="wuguan_sample", package_dir=SAMPLE, version="0.3.0")
    app = make_app(WUGUAN_STRICT_PLUGINS=True)
    host = app.extensions["wuguan"]
    record = records(app)["sample"]
    assert (record.state, record.source, record.version) == ("loaded", "entrypoint", "0.3.0")
    assert host.categories["student"][0].key == "sample"
    assert host.activity_kinds()["study_group"] == "读书会"
    assert app.config["PLUGINS"]["sample"] == {"visit_every_days": 90}
    with app.app_context():
        from core.extensions import db
        assert "sample_note" in inspect(db.engine).get_table_names()
    listing = json.loads(app.test_cli_runner().invoke(cli, ["plugins"]).output)
    sample = next(p for p in listing if p["name"] == "sample")
    assert sample["modes"] == [{"key": "sample", "title": "学生管", "categories": {"student": "在校学生党员"}}]
    assert sample["hooks"] == ["wuguan_admin_views", "wuguan_member_panels", "wuguan_migrations", "wuguan_modes",
                               "wuguan_settings"]


def test_operator_settings_override_plugin_defaults(wuguan_plugin, tmp_path):
    wuguan_plugin("sample", module="wuguan_sample", package_dir=SAMPLE)
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "PLUGINS": {"sample": {"visit_every_days": 30}}})
    assert app.config["PLUGINS"]["sample"] == {"visit_every_days": 30}


BROKEN_IMPORT = "import no_such_module_anywhere\n"
BAD_SIGNATURE = """
from core.plugin_api import hookimpl

@hookimpl
def wuguan_bulletin_sections(context, extra):
    return []
"""
UNKNOWN_HOOK = """
from core.plugin_api import hookimpl

@hookimpl
def wuguan_checkz():
    return []
"""
NOT_A_MODE = """
from core.plugin_api import hookimpl

@hookimpl
def wuguan_modes():
    return [{"key": "x"}]
"""


@pytest.mark.parametrize("source, reason", [
    (BROKEN_IMPORT, "ModuleNotFoundError"),
    (BAD_SIGNATURE, "PluginValidationError"),
    (UNKNOWN_HOOK, "unknown hooks: wuguan_checkz"),
    (NOT_A_MODE, "not a Mode"),
])
def test_broken_plugin_is_skipped_and_shown_failed(wuguan_plugin, tmp_path, caplog, source, reason):
    wuguan_plugin("broken", source)
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    record = records(app)["broken"]
    assert record.state == "failed"
    assert reason in record.reason
    assert "failed" in caplog.text and "broken" in caplog.text
    assert len(app.extensions["wuguan"].loaded()) == 5
    assert not app.extensions["wuguan"].pm.is_registered(record.plugin) if record.plugin else True


def test_broken_plugin_is_fatal_when_strict(wuguan_plugin, tmp_path):
    wuguan_plugin("broken", BROKEN_IMPORT)
    with pytest.raises(PluginLoadError, match="broken"):
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": True})


def test_category_claimed_twice_stops_start_up_naming_both(wuguan_plugin, tmp_path):
    wuguan_plugin("rival", """
        from core.plugin_api import Mode, hookimpl

        @hookimpl
        def wuguan_modes():
            return [Mode(key="rival", title="另一种共管", categories={"retired": "退休"})]
    """)
    with pytest.raises(PluginConflictError) as err:
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)})
    message = str(err.value)
    assert "'retired'" in message and "rival" in message and "joint" in message


def test_plugin_name_taken_by_a_builtin_fails(wuguan_plugin, tmp_path):
    wuguan_plugin("direct", "", module="fake_direct")
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    assert records(app)["direct"].module == "plugins.direct"
    assert records(app)["direct"].state == "loaded"
    impostor = records(app)["direct (fake_direct)"]
    assert impostor.state == "failed" and "already taken by plugins.direct" in impostor.reason


def test_app_works_with_every_plugin_disabled(make_app):
    app = make_app(WUGUAN_PLUGINS=["none"])
    assert app.extensions["wuguan"].loaded() == []
    assert app.extensions["wuguan"].categories == {}


MODE_SOURCE = """
    from core.plugin_api import Mode, hookimpl

    @hookimpl
    def wuguan_modes():
        return [Mode(key="grid", title="网格管", categories={"grid_member": "网格党员"})]

    @hookimpl
    def wuguan_settings():
        return {"patrol_days": 7, "ratio": 0.5, "name": "网格"}
"""


def test_a_plugin_that_needs_a_newer_wuguan_is_refused_with_the_reason(wuguan_plugin, tmp_path):
    wuguan_plugin("grid", MODE_SOURCE, requires=["wuguan>=99.0", "click"])
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_STRICT_PLUGINS": False})
    record = records(app)["grid"]
    assert record.state == "failed"
    assert record.reason.startswith("needs wuguan>=99.0, this is wuguan ")
    assert "grid_member" not in app.extensions["wuguan"].categories


def test_a_plugin_within_its_range_loads(wuguan_plugin, tmp_path):
    wuguan_plugin("grid", MODE_SOURCE, requires=["wuguan>=0.1,<99"])
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)})
    assert records(app)["grid"].state == "loaded"


@pytest.mark.parametrize("given, words", [
    ({"grid": {"patrol_dayz": 3}}, "plugin grid has no setting 'patrol_dayz'"),
    ({"grid": {"patrol_days": "7"}}, "plugin grid setting 'patrol_days' must be int"),
    ({"gird": {"patrol_days": 7}}, "settings for unknown plugins: gird"),
])
def test_bad_plugin_settings_stop_start_up_naming_plugin_and_key(wuguan_plugin, tmp_path, given, words):
    from core.plugins import PluginSettingsError
    wuguan_plugin("grid", MODE_SOURCE)
    with pytest.raises(PluginSettingsError) as err:
        create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "PLUGINS": given})
    assert words in str(err.value)


def test_plugin_settings_from_the_instance_toml_file(wuguan_plugin, tmp_path):
    wuguan_plugin("grid", MODE_SOURCE)
    (tmp_path / "plugins.toml").write_text("[grid]\npatrol_days = 3\nratio = 1\n", encoding="utf-8")
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path)})
    assert app.config["PLUGINS"]["grid"] == {"patrol_days": 3, "ratio": 1, "name": "网格"}


def test_tracing_logs_each_hook_call_with_plugin_and_duration(wuguan_plugin, tmp_path, caplog):
    import logging
    wuguan_plugin("grid", MODE_SOURCE)
    caplog.set_level(logging.INFO, logger="wuguan.plugins")
    app = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path), "WUGUAN_TRACE_PLUGINS": True})
    app.extensions["wuguan"].hook.wuguan_settings()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("hook wuguan_settings plugin grid")]
    assert lines and lines[-1].endswith(" ms")
    quiet = create_app({"WUGUAN_INSTANCE_PATH": str(tmp_path / "q"), "WUGUAN_TRACE_PLUGINS": False})
    caplog.clear()
    quiet.extensions["wuguan"].hook.wuguan_settings()
    assert not [r for r in caplog.records if r.getMessage().startswith("hook ")]
