"""The CJK PDF document that bulletins and the modes' printed cards and ledgers start from.

A CJK font is tens of thousands of glyphs: fpdf2 spends seconds parsing it in every
`add_font`, which for a city's month of bulletins (thousands of PDFs) is hours. The
parsed font is kept per process and each document gets a copy with its own per-document
state (which glyphs it used) and its own lazily opened font file, since writing the
document cuts that file down to the glyphs used.

That cutting (fontTools reading the whole font's glyf and cmap) then cost most of a
bulletin's time. `render` draws with the font cut down once, at first use, to GB2312's
characters (常用字, a third of the glyphs) and kept in the instance folder; a document
with a character outside them is drawn again with the full font, so nothing is lost.
"""
import copy
import functools
import os
from pathlib import Path
import tempfile

from flask import current_app
from flask_babel import gettext as _
from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_parsed = {}  # (font file, style) -> an fpdf2 TTFFont never used in a document
_glyph_orders = {}  # font file -> its glyph names in order
COMMON_VERSION = 3  # bump when the cut-down font's contents change, so instances build it afresh
# Latin, general and CJK punctuation and full-width forms, beside GB2312's own rows.
_COMMON_EXTRA = (*range(0x20, 0x7F), 0xB7, *range(0x2010, 0x2027), *range(0x3000, 0x3040), *range(0xFF01, 0xFF5F))


def font_path():
    """The CJK font embedded in PDFs: WUGUAN_PDF_FONT, else a Debian font package's file."""
    configured = current_app.config.get("WUGUAN_PDF_FONT")
    for candidate in ([configured] if configured else FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(_("生成PDF需要中文字体：请安装 fonts-wqy-microhei，或用 WUGUAN_PDF_FONT 指定字体文件"))


def new_pdf(title, orientation="P", page="A4", common=False, bold=True):
    """An empty document with the CJK font as family "cjk" (cut down to 常用字 if `common`)."""
    pdf = FPDF(orientation=orientation, unit="mm", format=page)
    path = common_font_path() if common else font_path()
    # One weight serves both: table headings ask for bold, CJK fonts rarely ship one. Each style
    # is embedded on its own, so a document that needs no bold leaves it out (`bold=False`).
    for style in ("", "B") if bold else ("",):
        _add_font(pdf, path, style)
    pdf.set_title(title)
    pdf.set_creator("wuguan")
    return pdf


def _add_font(pdf, path, style):
    key = "cjk" + style
    if (path, style) not in _parsed:
        probe = FPDF()
        probe.add_font("cjk", style=style, fname=path)
        _parsed[(path, style)] = probe.fonts[key]
        _glyph_orders[path] = probe.fonts[key].ttfont.getGlyphOrder()
    font = copy.copy(_parsed[(path, style)])
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(path, recalcTimestamp=False, recalcBBoxes=False, fontNumber=font.collection_font_number,
                               lazy=True)
    # Known already: without it, fontTools rebuilds every glyph's name from the font's tables per document.
    font.ttfont.setGlyphOrder(list(_glyph_orders[path]))
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    pdf.fonts[key] = font


def render(title, draw, text="", orientation="P", page="A4"):
    """The bytes of a document drawn by `draw(pdf)`: in the 常用字 font when `text` (what it will
    say) lies within it, else in the full font; drawn again in the full font should the text have
    left out a character the document then used. Regular weight only: draw no bold."""
    common = {ord(ch) for ch in text} <= common_chars()
    pdf = new_pdf(title, orientation, page, common=common, bold=False)
    draw(pdf)
    if common and any(font.missing_glyphs for font in pdf.fonts.values()):
        pdf = new_pdf(title, orientation, page, bold=False)
        draw(pdf)
    return bytes(pdf.output())


@functools.cache
def common_chars():
    chars = set(_COMMON_EXTRA)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def common_font_path():
    """The CJK font cut down to 常用字, built once per instance (a few seconds) and written atomically,
    so workers starting together at worst build it twice."""
    source = font_path()
    folder = Path(current_app.instance_path) / "pdf-fonts"
    target = folder / f"{Path(source).stem}-common-v{COMMON_VERSION}.ttf"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        font = ttLib.TTFont(source, fontNumber=0, recalcTimestamp=False)
        options = subset.Options(notdef_outline=True, recommended_glyphs=True, hinting=False, layout_features=[])
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM"]
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=common_chars())
        cutter.subset(font)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".ttf")
        os.close(handle)
        font.save(temporary)
        os.replace(temporary, target)
    return str(target)
