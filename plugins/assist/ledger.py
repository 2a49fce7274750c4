"""二卡三簿: a community's paper ledger as PDF and XLSX.

The layouts (which cards and books, their columns, each cell a Jinja expression) live in
`templates/assist/ledger_layout.json`; a deployment overrides it by putting its own copy in
`instance/templates/assist/`.
"""
import json

import jinja2
from flask_babel import gettext as _
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.plugin_api import (Activity, Attendance, Book, Member, Organization, db, new_pdf, shown,
                             template_environment)

from .models import DIRECTIONS, METHODS, PARTIES, REASONS, RECORD_STATES, Card, Contact, MobileRecord, TempRelation

LAYOUT = "assist/ledger_layout.json"


def layout():
    env = template_environment()
    source = env.loader.get_source(env, LAYOUT)[0]
    return json.loads(source)


def collect(community):
    """Everything the ledger prints for one community: a fixed number of queries."""
    in_community = func.coalesce(Member.location_id, Member.affiliation_id).in_(
        select(Organization.id).where(Organization.in_subtree(community.path)))
    records = db.session.scalars(
        select(MobileRecord).join(Member, Member.id == MobileRecord.member_id).where(in_community)
        .options(selectinload(MobileRecord.member), selectinload(MobileRecord.other_org),
                 selectinload(MobileRecord.contacts))
        .order_by(MobileRecord.direction.desc(), Member.name, MobileRecord.id)).all()
    member_ids = [r.member_id for r in records]
    cards, relations = {}, {}
    for card in db.session.scalars(select(Card).where(Card.member_id.in_(member_ids)).order_by(Card.issued_on)):
        cards[card.member_id] = card
    for relation in db.session.scalars(select(TempRelation).where(TempRelation.member_id.in_(member_ids))
                                       .order_by(TempRelation.started_on)):
        relations[relation.member_id] = relation
    contacts = db.session.scalars(
        select(Contact).where(Contact.member_id.in_(member_ids)).options(selectinload(Contact.member))
        .order_by(Contact.contacted_on, Contact.id)).all()
    activities = db.session.execute(
        select(Activity.held_on, Activity.topic, Activity.kind, Member.name, Attendance.present,
               Organization.name)
        .join(Attendance, Attendance.activity_id == Activity.id).join(Member, Member.id == Attendance.member_id)
        .join(Organization, Organization.id == Activity.org_id)
        .where(Attendance.member_id.in_(member_ids)).order_by(Activity.held_on)).all()
    last = {}
    for contact in contacts:
        last[(contact.record_id, contact.party)] = contact.contacted_on
    people = [{"r": r, "m": r.member, "card": cards.get(r.member_id), "relation": relations.get(r.member_id),
               "last_member": last.get((r.id, "member")), "last_outflow": last.get((r.id, "outflow_org")),
               "last_inflow": last.get((r.id, "inflow_org"))} for r in records]
    return {"community": community, "people": people, "records": [{"r": p["r"], "m": p["m"], **p} for p in people],
            "contacts": [{"c": c, "m": c.member} for c in contacts],
            "activities": [{"held_on": a[0], "topic": a[1], "kind": a[2], "name": a[3], "present": a[4],
                            "org": a[5]} for a in activities]}


def _names():
    return {"directions": {k: str(v) for k, v in DIRECTIONS.items()},
            "reasons": {k: str(v) for k, v in REASONS.items()},
            "states": {k: str(v) for k, v in RECORD_STATES.items()},
            "parties": {k: str(v) for k, v in PARTIES.items()},
            "methods": {k: str(v) for k, v in METHODS.items()}}


def filled(data):
    """The layout with every cell rendered: [(kind, title, headings, rows)] where cards have (label, value) rows.

    The layout is a deployment's file, so its cells see the rows as the staffer may (core.privacy.shown):
    no expression in it can print a full number the staffer has no right to."""
    data = shown(data)
    env = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False)
    cell = lambda expression, context: env.from_string(expression).render(**context).strip()  # noqa: E731
    names, parts = _names(), []
    spec = layout()
    for card in spec["cards"]:
        for person in data["people"]:
            context = {**names, **person, "community": data["community"]}
            rows = [[label, cell(expr, context)] for label, expr in card["fields"]]
            parts.append(("card", f"{card['title']}·{person['m'].name}", [], rows))
    for book in spec["books"]:
        headings = [label for label, _e in book["columns"]]
        rows = [[cell(expr, {**names, **item, "community": data["community"]}) for _l, expr in book["columns"]]
                for item in data[book["rows"]]]
        parts.append(("book", book["title"], headings, rows))
    return parts


def render_pdf(title, data):
    pdf = new_pdf(title, orientation="L")
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    for kind, part_title, headings, rows in filled(data):
        pdf.ln(3)
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(0, 8, part_title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=8)
        with pdf.table(text_align="LEFT", line_height=5,
                       col_widths=(30, 90) if kind == "card" else None,
                       width=120 if kind == "card" else None, align="LEFT",
                       first_row_as_headings=kind == "book") as table:
            if kind == "book":
                table.row(headings)
            if not rows and kind == "book":
                table.row([_("（无）")] + [""] * (len(headings) - 1))
            for row in rows:
                table.row([str(c) for c in row])
    return bytes(pdf.output())


def render_xlsx(title, data):
    book = Book()
    cards = book.sheet(_("二卡"))
    cards.append([title], font=Font(bold=True, size=14))
    for kind, part_title, headings, rows in filled(data):
        if kind == "card":
            cards.append([])
            cards.append([part_title])
            for row in rows:
                cards.append(row)
            continue
        sheet = book.sheet(part_title)
        sheet.append([part_title])
        sheet.append(headings, font=Font(bold=True))
        for row in rows:
            sheet.append(row)
    return book.bytes()
