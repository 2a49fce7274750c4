"""Every UI string has its English translation, and each compiled catalog matches its source.

Core and each built-in plugin keep their own catalog (a plugin's `translations/`), so a
third-party plugin ships its translations the same way.
"""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
import pytest

ROOT = Path(__file__).parent.parent
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
PACKAGES = {
    "core": (ROOT, [("core/**.py", "python"), ("workers/**.py", "python"), ("core/templates/**.html", "jinja2")],
             ROOT / "core" / "translations"),
    **{p.name: (p, [("**.py", "python"), ("templates/**.html", "jinja2")], p / "translations")
       for p in sorted((ROOT / "plugins").iterdir()) if (p / "__init__.py").exists()},
}


def source_strings(folder, method_map):
    return {message[0] if isinstance(message, tuple) else message
            for _f, _l, message, _c, _x in extract_from_dir(str(folder), method_map=method_map, keywords=KEYWORDS)}


@pytest.mark.parametrize("package", PACKAGES)
def test_every_ui_string_has_an_english_translation(package):
    folder, method_map, translations = PACKAGES[package]
    po = read_po(open(translations / "en" / "LC_MESSAGES" / "messages.po", "rb"))
    translated = {m.id for m in po if m.id and m.string}
    strings = source_strings(folder, method_map)
    assert strings, f"no UI strings found in {package}"
    missing = sorted(strings - translated)
    assert missing == [], "run scripts/i18n.sh and translate: " + ", ".join(missing)


@pytest.mark.parametrize("package", PACKAGES)
def test_compiled_catalog_matches_the_source_catalog(package):
    catalog = PACKAGES[package][2] / "en" / "LC_MESSAGES"
    po = read_po(open(catalog / "messages.po", "rb"))
    mo = read_mo(open(catalog / "messages.mo", "rb"))
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}


def test_plugin_strings_are_translated_at_run_time(app):
    from flask_babel import force_locale
    with app.test_request_context(), force_locale("en"):
        assert str(app.extensions["wuguan"].modes["joint"].title) == "Joint"
