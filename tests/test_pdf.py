"""core.pdf keeps the parsed CJK font per process; every document must still get a font of its own."""
import io
from pathlib import Path

import pypdf

from core import pdf
from core.pdf import new_pdf


def _document(text):
    pdf = new_pdf(text)
    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.multi_cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", style="B", size=12)
    pdf.multi_cell(0, 10, "合计")
    return pdf.output()


def _text(data):
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def test_each_document_embeds_the_glyphs_it_uses_though_the_font_is_parsed_once(app):
    with app.app_context():
        first = _document("金川区和平社区党委通报")
        second = _document("龍首社区流动党员管理站台账：张三、李四")
        again = _document("金川区和平社区党委通报")
    assert _text(first) == "金川区和平社区党委通报合计"
    assert _text(second) == "龍首社区流动党员管理站台账：张三、李四合计"
    # The same text gives the same bytes: nothing of one document leaks into the next.
    assert _text(again) == _text(first) and len(again) == len(first)


def _drawn(text):
    def draw(pdf):
        pdf.add_page()
        pdf.set_font("cjk", size=14)
        pdf.multi_cell(0, 10, text)
    return draw


def test_render_holds_every_character_with_the_common_font_or_falls_back_to_the_full_one(app, monkeypatch):
    fonts = []
    real_new_pdf = pdf.new_pdf

    def spy(*args, common=False, **kwargs):
        fonts.append("common" if common else "full")
        return real_new_pdf(*args, common=common, **kwargs)

    monkeypatch.setattr(pdf, "new_pdf", spy)
    said, rare = "金川区和平社区党委通报：在册党员1952名（比上期增加1）", "龍首社区：张三、李鍾"  # 龍, 鍾: not GB2312
    with app.app_context():
        assert Path(pdf.common_font_path()).stat().st_size < Path(pdf.font_path()).stat().st_size / 2
        assert _text(pdf.render("t", _drawn(said), text=said)) == said and fonts == ["common"]
        assert _text(pdf.render("t", _drawn(rare), text=rare)) == rare and fonts[1:] == ["full"]
        # The text not told beforehand: drawn in the common font, then again in the full one.
        assert _text(pdf.render("t", _drawn(rare))) == rare and fonts[2:] == ["common", "full"]
