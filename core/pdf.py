"""The CJK PDF document that bulletins and the modes' printed cards and ledgers start from.

A CJK font is tens of thousands of glyphs: fpdf2 spends seconds parsing it in every
`add_font`, which for a city's month of bulletins (thousands of PDFs) is hours. The
parsed font is kept per process and each document gets a copy with its own per-document
state (which glyphs it used) and its own lazily opened font file, since writing the
document cuts that file down to the glyphs used.
"""
import copy
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_parsed = {}  # (font file, style) -> an fpdf2 TTFFont never used in a document


def font_path():
    """The CJK font embedded in PDFs: WUGUAN_PDF_FONT, else a Debian font package's file."""
    configured = current_app.config.get("WUGUAN_PDF_FONT")
    for candidate in ([configured] if configured else FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(_("生成PDF需要中文字体：请安装 fonts-wqy-microhei，或用 WUGUAN_PDF_FONT 指定字体文件"))


def new_pdf(title, orientation="P", page="A4"):
    """An empty document with the CJK font as family "cjk"."""
    pdf = FPDF(orientation=orientation, unit="mm", format=page)
    # One weight serves both: table headings ask for bold, CJK fonts rarely ship one.
    for style in ("", "B"):
        _add_font(pdf, font_path(), style)
    pdf.set_title(title)
    pdf.set_creator("wuguan")
    return pdf


def _add_font(pdf, path, style):
    key = "cjk" + style
    if (path, style) not in _parsed:
        probe = FPDF()
        probe.add_font("cjk", style=style, fname=path)
        _parsed[(path, style)] = probe.fonts[key]
    font = copy.copy(_parsed[(path, style)])
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(path, recalcTimestamp=False, fontNumber=font.collection_font_number, lazy=True)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    pdf.fonts[key] = font
