"""直管 screens: zones, cards (with the printable card), pairings, visits and 争五好 ratings; the member panel."""
from flask import Response
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from core.plugin_api import Panel, ScopedModelView, db

from .models import DIFFICULTIES, GOODS, ROLES, Card, Pairing, Rating, Visit, Zone, ZoneBuilding, ZoneResponsible
from .pdf import card_pdf

MEMBER_LOOKUP = {"fields": ["name", "name_pinyin", "name_initials"], "page_size": 10}
LABELS = {
    "community": _l("社区"), "name": _l("名称"), "note": _l("备注"), "buildings": _l("楼栋/单元"),
    "responsibles": _l("责任党员"), "building": _l("楼栋"), "units": _l("单元"), "member": _l("党员"),
    "number": _l("责任卡编号"), "zone": _l("责任区"), "issued_on": _l("发卡日期"), "year": _l("有效年度"),
    "duties": _l("具体职责"), "email": _l("联系邮箱"), "household_name": _l("帮扶对象户主"),
    "household_address": _l("帮扶对象住址"), "difficulty": _l("困难类型"), "started_on": _l("结对日期"),
    "ended_on": _l("结束日期"), "visits": _l("走访记录"), "pairing": _l("结对帮扶"), "visited_on": _l("走访日期"),
    "done": _l("走访内容"), "result": _l("效果"), **ROLES, **GOODS,
}


def labels(*names):
    return {n: LABELS[n] for n in names}


def _yes_no(view, context, model, name):
    return _("是") if getattr(model, name) else _("否")


class ZoneView(ScopedModelView):
    scope_org_column = "community_id"
    column_list = ["community", "name", "buildings", "responsibles"]
    column_labels = labels("community", "name", "note", "buildings", "responsibles")
    column_searchable_list = ["name"]
    column_filters = ["name", "community.name"]
    column_formatters = {
        "buildings": lambda v, c, m, n: "、".join(str(b) for b in m.buildings),
        "responsibles": lambda v, c, m, n: "、".join(str(r) for r in m.responsibles),
    }
    column_formatters_export = column_formatters
    form_columns = ["community", "name", "note", "buildings", "responsibles"]
    inline_models = [
        (ZoneBuilding, {"form_columns": ["id", "building", "units"], "column_labels": labels("building", "units")}),
        (ZoneResponsible, {"form_columns": ["id", "member"], "column_labels": labels("member"),
                           "form_ajax_refs": {"member": MEMBER_LOOKUP}}),
    ]


class CardView(ScopedModelView):
    scope_org_column = "community_id"
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-print", ".pdf_view", title=_l("打印责任卡"),
                                                      id_arg="card_id")]
    column_list = ["number", "member", "community", "zone", "year", "issued_on", *ROLES]
    column_labels = labels("number", "member", "community", "zone", "year", "issued_on", "duties", "email", *ROLES)
    column_searchable_list = ["number", "member.name"]
    column_filters = ["year", "issued_on", "community.name", "zone.name", *ROLES]
    column_sortable_list = ["number", "year", "issued_on"]
    column_default_sort = ("issued_on", True)
    column_formatters = {key: _yes_no for key in ROLES}
    column_formatters_export = column_formatters
    form_columns = ["community", "number", "member", "zone", "issued_on", "year", *ROLES, "duties", "email"]
    form_ajax_refs = {"member": MEMBER_LOOKUP}

    @expose("/pdf/<int:card_id>/")
    def pdf_view(self, card_id):
        """The card as a one-page PDF; another community's card is a 404 like any row out of scope."""
        card = self.get_one(card_id)
        return Response(card_pdf(card), mimetype="application/pdf",
                        headers={"Content-Disposition": f"inline; filename=card-{card.id}.pdf"})


class PairingView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["member", "household_name", "household_address", "difficulty", "started_on", "ended_on"]
    column_labels = labels("member", "household_name", "household_address", "difficulty", "started_on",
                           "ended_on", "note", "visits")
    column_searchable_list = ["household_name", "member.name"]
    column_filters = ["difficulty", "started_on", "ended_on"]
    column_sortable_list = ["started_on", "ended_on", "household_name"]
    column_default_sort = ("started_on", True)
    column_formatters = {"difficulty": lambda v, c, m, n: str(DIFFICULTIES.get(m.difficulty, m.difficulty))}
    column_formatters_export = column_formatters
    form_columns = ["member", "household_name", "household_address", "difficulty", "started_on", "ended_on",
                    "note", "visits"]
    form_choices = {"difficulty": list(DIFFICULTIES.items())}
    form_ajax_refs = {"member": MEMBER_LOOKUP}
    inline_models = [(Visit, {"form_columns": ["id", "visited_on", "done", "result"],
                              "column_labels": labels("visited_on", "done", "result")})]


class VisitView(ScopedModelView):
    scope_through = "pairing"  # whoever may see the pairing sees its visits
    column_list = ["visited_on", "pairing", "member", "done", "result"]
    column_labels = labels("visited_on", "pairing", "member", "done", "result")
    column_searchable_list = ["done", "result"]
    column_filters = ["visited_on"]
    column_default_sort = ("visited_on", True)
    form_columns = ["pairing", "visited_on", "done", "result"]


class RatingView(ScopedModelView):
    scope_member_column = "member_id"
    column_list = ["year", "member", *GOODS, "note"]
    column_labels = labels("year", "member", "note", *GOODS)
    column_searchable_list = ["member.name"]
    column_filters = ["year", *GOODS]
    column_default_sort = ("year", True)
    column_formatters = {key: _yes_no for key in GOODS}
    column_formatters_export = column_formatters
    form_columns = ["member", "year", *GOODS, "note"]
    form_ajax_refs = {"member": MEMBER_LOOKUP}


def add_views(admin, category):
    for view, model, name, endpoint in [
        (ZoneView, Zone, _l("党员责任区"), "direct_zone"),
        (CardView, Card, _l("责任卡"), "direct_card"),
        (PairingView, Pairing, _l("结对帮扶"), "direct_pairing"),
        (VisitView, Visit, _l("帮扶走访"), "direct_visit"),
        (RatingView, Rating, _l("争五好评定"), "direct_rating"),
    ]:
        admin.add_view(view(model, name=name, category=category, endpoint=endpoint))


def member_panel(member):
    """The member's zone(s), card(s), pairings with their visits and ratings: four small queries."""
    session = db.session
    zones = session.scalars(select(Zone).join(ZoneResponsible, ZoneResponsible.zone_id == Zone.id)
                            .where(ZoneResponsible.member_id == member.id).order_by(Zone.name)).all()
    cards = session.scalars(select(Card).where(Card.member_id == member.id)
                            .order_by(Card.year.desc(), Card.id.desc())).all()
    pairings = session.scalars(select(Pairing).where(Pairing.member_id == member.id)
                               .order_by(Pairing.started_on.desc())).all()
    ratings = session.scalars(select(Rating).where(Rating.member_id == member.id)
                              .order_by(Rating.year.desc())).all()
    return Panel(title=_("直管：责任区、责任卡、结对帮扶、争五好"), template="direct/panel.html", order=20,
                 context={"direct_zones": zones, "direct_cards": cards, "direct_pairings": pairings,
                          "direct_ratings": ratings, "direct_difficulties": DIFFICULTIES, "direct_goods": GOODS})
