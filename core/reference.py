"""docs/reference.md, written from the code: core's tables and value sets, the built-in modes'
categories, and every name of `core.plugin_api` with its signature and docstring.

`wuguan docs` writes the page and tests/test_reference.py fails when the file in the repository
differs, so the reference follows the models and the plugin API rather than someone's memory.
A column without `doc=`, or an API name without a docstring or a comment on its import line,
stops the generation: an undocumented addition cannot slip in.
"""
import inspect
from pathlib import Path
import re

from flask import current_app
from flask_babel import force_locale

from . import plugin_api
from .extensions import db
from .models import activities, bulletins, findings, members, organizations, outbox, staff, transfers, units

PATH = Path(__file__).parent.parent / "docs" / "reference.md"

# (title, column, values): where a column holds one of a fixed set of keys, the set it is.
VALUE_SETS = [
    ("Member states", "member.state", members.STATES),
    ("Member statuses", "member.status", members.STATUSES),
    ("Genders", "member.gender", members.GENDERS),
    ("Educations", "member.education", members.EDUCATIONS),
    ("Organization kinds", "organization.kind", organizations.KINDS),
    ("Work unit kinds", "work_unit.kind", units.KINDS),
    ("Transfer directions", "transfer.direction", transfers.DIRECTIONS),
    ("Transfer states", "transfer.state", transfers.STATES),
    ("Activity kinds (core's; modes add their own)", "activity.kind", activities.KINDS),
    ("Finding states", "finding.state", findings.STATES),
    ("Sweep run states", "sweep_run.state", findings.RUN_STATES),
    ("Outbox states", "outbox.state", outbox.STATES),
    ("Bulletin kinds", "bulletin.kind", bulletins.KINDS),
    ("Bulletin states", "bulletin.state", bulletins.STATES),
    ("Staff roles", "staff.role", staff.ROLES),
]

HEADER = """# wuguan reference

Written by `wuguan docs` from the code; do not edit by hand (a test fails when this page
differs from what the command writes). The plugin contract itself, hook by hook, is
[plugins.md](plugins.md).
"""


class UndocumentedError(ValueError):
    """A core column or a plugin API name has no description."""


def render():
    """The page, as `wuguan docs` writes it (in an app context, for the loaded built-in modes)."""
    with force_locale("zh"):
        parts = [HEADER, _tables(), _migrations(), _value_sets(), _categories(), _api()]
    return "\n".join(parts).rstrip("\n") + "\n"


# -- core's tables ------------------------------------------------------------------------------
def _core_tables():
    mappers = [m for m in db.Model.registry.mappers if m.class_.__module__.startswith("core.models.")]
    return sorted(((m.local_table, m.class_) for m in mappers), key=lambda pair: pair[0].name)


def _tables():
    missing = []
    out = ["## Core tables", "",
           "Every table core creates, with each column's type and meaning. Plugins link to `member.id`,",
           "`organization.id` and `work_unit.id`; their own tables are prefixed with their key.", ""]
    for table, model in _core_tables():
        out += [f"### `{table.name}` ({model.__name__})", "", _own_doc(model) or "", "",
                "| column | type | null | meaning |", "|---|---|---|---|"]
        for column in table.columns:
            if not column.doc:
                missing.append(f"{table.name}.{column.name}")
            target = "".join(f" → `{fk.target_fullname}`" for fk in column.foreign_keys)
            out.append(f"| `{column.name}` | {column.type.compile(dialect=_dialect())} | "
                       f"{'yes' if column.nullable else 'no'} | {_cell(column.doc or '')}{target} |")
        out.append("")
    if missing:
        raise UndocumentedError("columns without doc=: " + ", ".join(missing))
    return "\n".join(out)


def _dialect():
    from sqlalchemy.dialects import postgresql
    return postgresql.dialect()


# -- core's migrations ----------------------------------------------------------------------------
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


def _migrations():
    """Which core revision creates which tables: a plugin's first revision `depends_on` the one
    that creates the last core table it refers to."""
    out = ["## Core migrations", "",
           "A plugin's first revision `depends_on` the core revision that creates the core tables its",
           "own tables refer to (`core_0001` for `member`, `organization`, `work_unit`, `transfer`).", "",
           "| revision | revises | what it does | tables it creates |", "|---|---|---|---|"]
    for path in sorted(MIGRATIONS.glob("core_*.py")):
        text = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision = ['\"](\w+)['\"]", text, re.M).group(1)
        down = re.search(r"^down_revision = ['\"]?(\w+)", text, re.M).group(1)
        summary = " ".join(text.split('"""')[1].split("\n\n")[0].split())
        created = ", ".join(f"`{t}`" for t in re.findall(r"op\.create_table\(\s*['\"](\w+)['\"]", text))
        out.append(f"| `{revision}` | {'' if down == 'None' else f'`{down}`'} | {_cell(summary)} | {created} |")
    return "\n".join(out) + "\n"


# -- value sets and categories --------------------------------------------------------------------
def _value_sets():
    out = ["## Value sets", "", "The keys stored in these columns, and the titles staff see.", ""]
    for title, column, values in VALUE_SETS:
        out += [f"### {title} (`{column}`)", "", "| key | title |", "|---|---|"]
        out += [f"| `{key}` | {values[key] if isinstance(values, dict) else ''} |" for key in values]
        out.append("")
    return "\n".join(out)


def _categories():
    """The categories the built-in modes claim: a member's `category` is one of these, or a
    third-party mode's; a member whose category no loaded mode claims is a finding (漏管)."""
    host = current_app.extensions["wuguan"]
    out = ["## Member categories (`member.category`)", "",
           "Claimed by the built-in modes; third-party modes claim more (a category claimed twice stops",
           "the start). A member whose category no loaded mode claims is a finding (漏管).", "",
           "| key | title | mode |", "|---|---|---|"]
    builtin = {name for name, record in host.records.items() if record.source == "builtin"}
    for key, (mode, title) in sorted(host.categories.items()):
        if mode.key in builtin:
            out.append(f"| `{key}` | {title} | {mode.key} ({mode.title}) |")
    return "\n".join(out) + "\n"


# -- the plugin API ----------------------------------------------------------------------------------
def _import_comments():
    """name -> the comment at the end of the line of core/plugin_api.py that binds it."""
    comments = {}
    for line in Path(plugin_api.__file__).read_text(encoding="utf-8").splitlines():
        code, _, comment = line.partition("  # ")
        if comment:
            for name in re.findall(r"(?:\bas |import |^)(\w+)(?=\s*(?:$|=|,))", code.strip()):
                comments.setdefault(name, comment.strip())
    return comments


def _api():
    comments, missing = _import_comments(), []
    out = [f"## Plugin API (`core.plugin_api`, version {plugin_api.API_VERSION})", "",
           "Everything a plugin imports from wuguan, in the order of `__all__`.", ""]
    for name in plugin_api.__all__:
        obj = getattr(plugin_api, name)
        doc = _own_doc(obj) or comments.get(name)
        if not doc:
            missing.append(name)
        out += [f"### `{name}{_signature(obj)}`", "", doc or "", ""]
    if missing:
        raise UndocumentedError("core.plugin_api names without a docstring or a comment: " + ", ".join(missing))
    return "\n".join(out)


def _own_doc(obj):
    """A class's or function's own docstring (a dataclass's generated one does not count)."""
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
        doc = None if doc and doc.startswith(f"{obj.__name__}(") else doc
    else:
        doc = obj.__doc__ if inspect.isroutine(obj) else None
    return inspect.cleandoc(doc) if doc else None


def _signature(obj):
    """How a class or function is called. A default that is a module's constant shows as its name
    (its repr would fill the heading), one whose repr holds an address as its name (stable)."""
    if not (inspect.isclass(obj) or inspect.isroutine(obj)) or (inspect.isclass(obj) and issubclass(obj, db.Model)):
        return ""
    if inspect.isclass(obj) and "__init__" not in obj.__dict__ and "__dataclass_fields__" not in obj.__dict__:
        return ""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    names = {id(value): key for key, value in vars(inspect.getmodule(obj) or plugin_api).items() if key.isupper()}
    params = []
    for param in signature.parameters.values():
        if param.default is not inspect.Parameter.empty:
            named = isinstance(param.default, (dict, list, tuple, set))  # not None, False or 0, shared by many
            shown = (named and names.get(id(param.default))) or _short(param.default)
            param = param.replace(default=_Shown(shown))
        params.append(param.replace(annotation=inspect.Parameter.empty))
    return str(signature.replace(parameters=params, return_annotation=inspect.Signature.empty))


class _Shown:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _short(value):
    text = repr(value)
    return getattr(value, "__name__", "…") if " at 0x" in text else text


def _cell(text):
    return " ".join(text.split()).replace("|", "\\|")


def write(path=PATH):
    path.write_text(render(), encoding="utf-8")
    return path
