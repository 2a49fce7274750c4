"""core.pdf keeps the parsed CJK font per process; every document must still get a font of its own."""
import io

import pypdf

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
