"""The plugin surface: one module, held by import-linter, documented from the code."""
import os
import re
from pathlib import Path
import subprocess
import sys

import pytest

from core import plugin_api, reference
from core.cli import docs_command
from core.models import Member

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("folder, kept", [(ROOT, 2), (ROOT / "examples" / "wuguan-grid", 1)])
def test_plugins_import_wuguan_only_through_plugin_api_and_core_never_imports_a_plugin(folder, kept):
    """The repository's contracts (built-ins, core), and the example's own, as a third party keeps one."""
    env = {**os.environ, "PYTHONPATH": str(folder)}
    linted = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=300)
    assert linted.returncode == 0, linted.stdout[-3000:] + linted.stderr[-2000:]
    assert f"Contracts: {kept} kept, 0 broken." in linted.stdout


def test_every_exported_name_exists_once():
    assert len(plugin_api.__all__) == len(set(plugin_api.__all__))
    assert [name for name in plugin_api.__all__ if not hasattr(plugin_api, name)] == []
    assert plugin_api.API_VERSION == "1.0"


def test_docs_reference_is_what_wuguan_docs_writes(app, tmp_path):
    written = tmp_path / "reference.md"
    result = app.test_cli_runner().invoke(docs_command, ["--output", str(written)])
    assert result.exit_code == 0, result.output
    assert written.read_text(encoding="utf-8") == reference.PATH.read_text(encoding="utf-8"), \
        "docs/reference.md is out of date: run `wuguan docs`"


def test_the_reference_holds_columns_value_sets_categories_and_every_api_name(app):
    with app.app_context():
        page = reference.render()
    assert "| `id_number` | VARCHAR(18) COLLATE \"C\" | no | 身份证 number" in page
    assert "| `deceased` | 去世 |" in page and "| `liaison_group` | 楼寓党员联络小组 |" in page
    assert "| `in_service` | 在职党员 | dual (双管) |" in page
    assert "### `add_months(day, months)`" in page
    for name in plugin_api.__all__:
        assert f"### `{name}" in page, name


def test_an_undocumented_column_or_api_name_stops_the_generation(app, monkeypatch):
    with app.app_context():
        monkeypatch.setattr(Member.__table__.c.room, "doc", None)
        with pytest.raises(reference.UndocumentedError, match="member.room"):
            reference.render()
        monkeypatch.undo()
        monkeypatch.setattr(plugin_api, "undocumented", {"a": 1}, raising=False)
        monkeypatch.setattr(plugin_api, "__all__", [*plugin_api.__all__, "undocumented"])
        with pytest.raises(reference.UndocumentedError, match="undocumented"):
            reference.render()


def test_the_plugin_guides_examples_import_wuguan_only_from_plugin_api():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    imports = re.findall(r"^\s*(?:from|import) (core[\w.]*)", guide, re.M)
    assert imports and set(imports) <= {"core.plugin_api", "core.testing"}, imports


def test_every_fixture_wuguan_ships_is_documented_in_the_plugin_guide():
    import core.testing
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    fixtures = [name for name, value in vars(core.testing).items() if hasattr(value, "_fixture_function_marker")]
    assert {"make_member", "login_as", "remind", "compile_bulletin", "run_sweep"} <= set(fixtures)
    assert [name for name in fixtures if f"- `{name}" not in guide] == []
