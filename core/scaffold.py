"""`wuguan new-plugin NAME`: a new management mode's package, ready to install and test.

The skeleton is the files under `scaffold_template/` with their `{{...}}` tokens filled in,
so what a new plugin starts from is plain code a reviewer can read, not strings in here.
It is made against this wuguan: its first migration depends on core's current head and
it declares the wuguan versions of this major release as the ones it supports.
"""
import datetime as dt
import io
import keyword
from pathlib import Path

from alembic.script import ScriptDirectory
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from packaging.version import Version

from .plugins import BUILTIN_PLUGINS, KEY, _wuguan_version

TEMPLATE = Path(__file__).parent / "scaffold_template"
MIGRATIONS = Path(__file__).parent / "migrations"


class ScaffoldError(ValueError):
    """The name or the folder cannot be used; the message says why."""


def check_name(name):
    if not KEY.match(name):
        raise ScaffoldError(f"插件名 {name!r} 无效：只能用小写字母、数字和下划线，并以字母开头（如 grid）")
    if keyword.iskeyword(name) or name in {b.rsplit(".", 1)[-1] for b in BUILTIN_PLUGINS} or name == "core":
        raise ScaffoldError(f"插件名 {name!r} 已被占用（Python 关键字、core 或内置管理方式）")


def supported_range(version=None):
    """`wuguan>=X.Y,<X+1` for this wuguan: hooks only grow within a major version."""
    v = Version(version or _wuguan_version())
    return f"wuguan>={v.major}.{v.minor},<{v.major + 1}"


def core_head():
    (head,) = ScriptDirectory(str(MIGRATIONS)).get_heads()
    return head


def tokens(name):
    return {"{{key}}": name, "{{package}}": f"wuguan_{name}", "{{dist}}": f"wuguan-{name.replace('_', '-')}",
            "{{Class}}": "".join(part.capitalize() for part in name.split("_")),
            "{{requires}}": supported_range(), "{{core_head}}": core_head(), "{{today}}": dt.date.today().isoformat()}


def create(name, folder=None):
    """Write the skeleton of plugin `name` into `folder` (default ./wuguan-NAME), which must not exist."""
    check_name(name)
    values = tokens(name)
    target = Path(folder) if folder else Path.cwd() / values["{{dist}}"]
    if target.exists():
        raise ScaffoldError(f"{target} 已存在：请换一个文件夹（--path）或先移走它")

    def fill(text):
        for token, value in values.items():
            text = text.replace(token, value)
        return text

    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = str(source.relative_to(TEMPLATE)).removesuffix(".tmpl")
        relative = relative.replace("__package__", values["{{package}}"]).replace("__key__", name)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(fill(source.read_text(encoding="utf-8")), encoding="utf-8")
    _compile_catalogs(target)
    return target


def _compile_catalogs(target):
    """Flask-Babel reads compiled catalogs; the plugin's `.mo` starts in step with its `.po`."""
    for po in target.rglob("translations/*/LC_MESSAGES/messages.po"):
        with open(po, "rb") as source:
            catalog = read_po(source)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        po.with_suffix(".mo").write_bytes(buffer.getvalue())
