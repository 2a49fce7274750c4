"""Every UI string has its English translation, and the compiled catalog matches the source catalog."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent
CATALOG = ROOT / "core" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHODS = [("core/**.py", "python"), ("plugins/**.py", "python"), ("workers/**.py", "python"),
           ("**/templates/**.html", "jinja2")]


def source_strings():
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=[m for m in METHODS], keywords=KEYWORDS,
            directory_filter=lambda d: not any(part in d for part in (".venv", "tests", "bench", "examples"))):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_ui_string_has_an_english_translation():
    po = read_po(open(CATALOG / "messages.po", "rb"))
    translated = {m.id for m in po if m.id and m.string}
    missing = sorted(source_strings() - translated)
    assert missing == [], "run scripts/i18n.sh and translate: " + ", ".join(missing)


def test_compiled_catalog_matches_the_source_catalog():
    po = read_po(open(CATALOG / "messages.po", "rb"))
    mo = read_mo(open(CATALOG / "messages.mo", "rb"))
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}
