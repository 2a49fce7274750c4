"""The responsibility card (责任卡) as a one-page A6-landscape-ish PDF, with the CJK font core's bulletins use."""
from flask_babel import gettext as _

from core.plugin_api import new_pdf

from .models import ROLES


def card_pdf(card):
    title = _("社区党员责任卡")
    pdf = new_pdf(f"{title} {card.number}", orientation="L", page="A5")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 7, _("编号：%(n)s　有效年度：%(y)s年", n=card.number, y=card.year), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    zone = card.zone
    buildings = "、".join(str(b) for b in zone.buildings) if zone else ""
    lines = [
        (_("党员姓名"), card.member.name),
        (_("所在社区"), card.community.name),
        (_("责任区"), f"{zone.name}（{buildings}）" if zone and buildings else (zone.name if zone else _("未划定"))),
        (_("发卡日期"), card.issued_on.isoformat()),
    ]
    pdf.set_font("cjk", size=12)
    for label, value in lines:
        pdf.cell(32, 9, label + "：")
        pdf.multi_cell(0, 9, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(0, 9, _("承担职责："), new_x="LMARGIN", new_y="NEXT")
    for key, role in ROLES.items():
        mark = "■" if getattr(card, key) else "□"
        pdf.cell(38, 8, f"{mark} {role}")
    pdf.ln(10)
    if card.duties:
        pdf.set_font("cjk", size=11)
        pdf.multi_cell(0, 7, _("具体职责：%(d)s", d=card.duties), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.set_y(-22)
    pdf.cell(0, 7, _("%(c)s（盖章）", c=card.community.name), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
