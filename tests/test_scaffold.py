"""`wuguan new-plugin`: the skeleton it writes installs beside wuguan and its own tests pass."""
import os
from pathlib import Path
import re
import subprocess
import sys
import sysconfig

import pytest
from click.testing import CliRunner

from core import scaffold
from core.cli import cli


def wuguan(*args, cwd=None):
    return subprocess.run([sys.executable, "-c", "from core.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "WUGUAN_INSTANCE_PATH": str(Path(cwd or ".") / "instance")})


def layered_venv(folder):
    """A virtual environment that sees this one's packages (wuguan and its test tools) through a .pth
    file, so a plugin installed into it never leaks into the environment running this suite."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "wuguan-base.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    return python


def test_new_plugin_installs_and_its_tests_pass(tmp_path):
    made = wuguan("new-plugin", "studio", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "wuguan-studio"
    assert {"pyproject.toml", "wuguan_studio/__init__.py", "wuguan_studio/models.py", "wuguan_studio/views.py",
            "wuguan_studio/checks.py", "wuguan_studio/reminders.py", "wuguan_studio/bulletin.py",
            "wuguan_studio/migrations/versions/studio_0001_records.py", "wuguan_studio/templates/studio/panel.html",
            "wuguan_studio/translations/en/LC_MESSAGES/messages.mo", "tests/test_studio.py"} <= {
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    pyproject = (folder / "pyproject.toml").read_text()
    assert 'dependencies = ["wuguan>=0.1,<1"]' in pyproject and 'studio = "wuguan_studio"' in pyproject

    python = layered_venv(tmp_path / "venv")
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(folder)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    tested = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder,
                            capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert "6 passed" in tested.stdout  # one renders a form while deprecations are errors
    imported = {m for path in folder.rglob("*.py") for m in re.findall(r"^\s*(?:from|import) (core[\w.]*)",
                                                                     path.read_text(encoding="utf-8"), re.M)}
    assert imported == {"core.plugin_api"}
    linted = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=folder,
                            env={**os.environ, "PYTHONPATH": str(folder)}, capture_output=True, text=True, timeout=300)
    assert linted.returncode == 0 and "1 kept, 0 broken" in linted.stdout, linted.stdout[-2000:] + linted.stderr


def test_the_first_migration_depends_on_cores_head_and_the_catalog_is_compiled(tmp_path):
    folder = scaffold.create("grid_watch", tmp_path / "gw")
    migration = (folder / "wuguan_grid_watch" / "migrations" / "versions" / "grid_watch_0001_records.py").read_text()
    assert f'depends_on = "{scaffold.core_head()}"' in migration and 'branch_labels = ("grid_watch",)' in migration
    assert "class GridWatchRecord(db.Model)" in (folder / "wuguan_grid_watch" / "models.py").read_text()
    from packaging.specifiers import SpecifierSet
    from core.contract import API_VERSION
    declared = re.search(r'^WUGUAN_API = "([^"]+)"$', (folder / "wuguan_grid_watch" / "__init__.py").read_text(), re.M)
    assert declared and API_VERSION in SpecifierSet(declared.group(1)), "a new plugin declares the API it is written for"
    from babel.messages.mofile import read_mo
    catalog = read_mo(open(folder / "wuguan_grid_watch" / "translations" / "en" / "LC_MESSAGES" / "messages.mo", "rb"))
    assert catalog.get("grid_watch管理").string == "grid_watch mode"


def test_the_supported_range_is_this_major_version():
    assert scaffold.supported_range("0.1.0") == "wuguan>=0.1,<1"
    assert scaffold.supported_range("2.3.1") == "wuguan>=2.3,<3"


@pytest.mark.parametrize("name", ["Grid", "1grid", "grid-cells", "网格", "class", "direct", "core"])
def test_an_invalid_name_is_refused_with_a_reason(tmp_path, name):
    result = CliRunner().invoke(cli, ["new-plugin", name, "--path", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "插件名" in result.output and repr(name) in result.output
    assert not (tmp_path / "x").exists()


def test_an_existing_folder_is_refused_and_left_alone(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("keep")
    result = CliRunner().invoke(cli, ["new-plugin", "grid", "--path", str(tmp_path / "taken")])
    assert result.exit_code != 0 and "已存在" in result.output
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["mine.txt"]
