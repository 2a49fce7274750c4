"""The plugin author's kit beyond the scaffold: the example package's declarations, and how hooks
change without breaking plugins (they grow by optional arguments; an old one is deprecated first)."""
import ast
from pathlib import Path
import tomllib
import warnings

from alembic.script import ScriptDirectory
from packaging.requirements import Requirement
import pluggy
import pytest

from core import scaffold
from core.plugin_api import hookimpl
from core.plugins import PluginHost, _wuguan_version

EXAMPLE = Path(__file__).parent.parent / "examples" / "wuguan-grid"
hookspec = pluggy.HookspecMarker("wuguan")


def test_the_example_declares_its_entry_point_and_a_range_this_wuguan_is_in():
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["wuguan"] == {"grid": "wuguan_grid"}
    (requirement,) = [Requirement(d) for d in project["dependencies"] if d.startswith("wuguan")]
    assert str(requirement.specifier) == "<1,>=0.1" and requirement.specifier.contains(_wuguan_version())


def test_the_examples_branch_depends_on_a_core_revision():
    migration = EXAMPLE / "wuguan_grid" / "migrations" / "versions" / "grid_0001_cells.py"
    values = {t.id: n.value.value for n in ast.parse(migration.read_text()).body if isinstance(n, ast.Assign)
              for t in n.targets if isinstance(n.value, ast.Constant)}
    assert values["down_revision"] is None
    core = {s.revision for s in ScriptDirectory(str(scaffold.MIGRATIONS)).walk_revisions()}
    assert values["depends_on"] in core  # an older core revision is fine: core only grows


class Grown:
    """A hookspec as a later wuguan might have it: the same hook with an optional argument added."""

    @hookspec
    def wuguan_widgets(self, member, today=None):
        """Return widgets."""

    @hookspec(warn_on_impl=DeprecationWarning("wuguan_old_widgets is deprecated: implement wuguan_widgets"))
    def wuguan_old_widgets(self):
        """Return widgets (deprecated)."""


def test_an_implementation_written_before_an_argument_was_added_still_works():
    host = PluginHost()
    host.pm.add_hookspecs(Grown)

    class Old:
        @hookimpl
        def wuguan_widgets(self, member):
            return [f"widget of {member}"]

    host.pm.register(Old(), name="old")
    assert host.collect("wuguan_widgets", member="张三", today="2026-11-29") == ["widget of 张三"]


def test_implementing_a_deprecated_hook_warns_with_the_replacement():
    host = PluginHost()
    host.pm.add_hookspecs(Grown)

    class Current:
        @hookimpl
        def wuguan_widgets(self, member):
            return []

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        host.pm.register(Current(), name="current")

    class Legacy:
        @hookimpl
        def wuguan_old_widgets(self):
            return []

    with pytest.warns(DeprecationWarning, match="implement wuguan_widgets"):
        host.pm.register(Legacy(), name="legacy")
