"""通报: compile a bulletin once per (scope, kind, period), render it to HTML, XLSX and PDF.

The claim is the row itself: version 1 is inserted before any work, so the unique key
turns a second beat or a redelivered task away. A compile that died (its claim older
than the lease) or failed is taken up again by the next attempt, on the same row.
Employers' bulletins go to the unit's contact through the outbox, in the transaction
that marks the bulletin compiled, so a bulletin is mailed exactly once.
"""
from dataclasses import asdict, dataclass
import datetime as dt
from functools import cached_property
import logging
from pathlib import Path
import uuid

from flask import current_app, render_template_string
from flask_babel import gettext as _
from fpdf.fonts import FontFace
from openpyxl.styles import Font
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from . import errorpages, indicator_pass, periods, reminders, scope, spreadsheet
from .extensions import db
from .models import Bulletin, Finding, Member, Organization, WorkUnit
from .models.base import utcnow
from .contract import BulletinSection
from .pdf import render
from .plugins import host

log = logging.getLogger("wuguan.bulletins")
LEASE = dt.timedelta(minutes=15)
SCOPE_KINDS = {"community": "community", "street": "street"}
TEMPLATES = Path(__file__).parent / "templates" / "bulletins"


@dataclass(frozen=True)
class BulletinContext:
    """What a section hook is told: which bulletin, for whom, for which period (and the one before)."""
    kind: str
    scope: str
    period: periods.Period
    previous: periods.Period
    org: Organization | None
    unit: WorkUnit | None
    today: dt.date

    @cached_property
    def _org_ids(self):
        return scope.subtree(self.org.path)

    def members_in_scope(self):
        """A condition selecting the members this bulletin covers: those living in its subtree, or
        belonging to it when no residence is recorded (written so both columns' indexes serve)."""
        if self.unit is not None:
            return Member.work_unit_id == self.unit.id
        return or_(Member.location_id.in_(self._org_ids),
                   and_(Member.location_id.is_(None), Member.affiliation_id.in_(self._org_ids)))

    @cached_property
    def indicators(self):
        """{indicator key: IndicatorValue}: this scope's stored figures of the period, ranks and previous value."""
        return indicator_pass.stored(self.scope, self.period.label)

    def figure(self, key, default=0):
        """A stored indicator's value for this scope and period (`default` when it has none)."""
        row = self.indicators.get(key)
        return default if row is None or row.value is None else _number(row.value)

    def orgs_in_scope(self, column):
        if self.unit is not None:
            return column.in_(select(Member.location_id).where(Member.work_unit_id == self.unit.id))
        return column.in_(self._org_ids)


def _number(value):
    return int(value) if value is not None and float(value).is_integer() else value


def scopes(kind):
    """(scope key, org id, unit id) for every bulletin of `kind` a city compiles."""
    if kind == "employer":
        # Units with members at work there (双管) or retired from there (共管: the unit's share).
        units = db.session.scalars(select(WorkUnit.id).where(
            WorkUnit.id.in_(select(Member.work_unit_id).where(Member.state == "active"))))
        return [(f"unit:{u}", None, u) for u in sorted(units)]
    org_ids = db.session.scalars(select(Organization.id).where(Organization.kind == SCOPE_KINDS[kind])
                                 .order_by(Organization.id)).all()
    return [(f"org:{o}", o, None) for o in org_ids]


def coverage_section(ctx):
    plugin_host = host()
    rows = db.session.execute(
        select(Member.category, func.count()).where(Member.state == "active", ctx.members_in_scope())
        .group_by(Member.category).order_by(Member.category)).all()
    table, unclaimed = [], 0
    for category, count in rows:
        mode, title = plugin_host.categories.get(category, (None, None))
        if mode is None:
            unclaimed += count
        table.append([str(mode.title) if mode else _("（无）"), str(title) if title else category, count])
    total = sum(r[2] for r in table)
    return BulletinSection(
        key="core.coverage", title=_("分类管理覆盖情况"), order=10,
        summary=_("在册党员%(total)d名，其中%(n)d名的类别无管理方式认领。", total=total, n=unclaimed),
        columns=[_("管理方式"), _("类别"), _("人数")], rows=table,
        figures={_("在册党员"): total, _("未认领"): unclaimed}, indicators=("core.members", "core.unclaimed"))


def findings_section(ctx):
    start = dt.datetime.combine(ctx.period.start, dt.time())
    end = dt.datetime.combine(ctx.period.end, dt.time())
    in_period = lambda column: and_(column >= start, column < end)  # noqa: E731
    rows = db.session.execute(
        select(Finding.check_code,
               func.sum(case((in_period(Finding.first_seen), 1), else_=0)),
               func.sum(case((in_period(Finding.resolved_at), 1), else_=0)),
               func.sum(case((Finding.state != "resolved", 1), else_=0)))
        .where(ctx.orgs_in_scope(Finding.org_id),
               or_(Finding.state != "resolved", Finding.resolved_at >= start),
               # A departed plugin's findings are for an administrator to close, not for the 通报.
               Finding.state != "orphaned", Finding.plugin.in_(["core", *(r.name for r in host().loaded())]))
        .group_by(Finding.check_code).order_by(Finding.check_code)).all()
    from .sweep import registered_checks
    titles = {item.check.code: str(item.check.title) for item in registered_checks()}
    table = [[titles.get(code, code), int(opened or 0), int(resolved or 0), int(live or 0)]
             for code, opened, resolved, live in rows]
    opened, resolved, live = (sum(r[i] for r in table) for i in (1, 2, 3))
    return BulletinSection(
        key="core.findings", title=_("问题发现与整改"), order=20,
        summary=_("本期新发现问题%(o)d个，整改%(r)d个，尚待处理%(l)d个。", o=opened, r=resolved, l=live),
        columns=[_("检查项"), _("新发现"), _("已整改"), _("待处理")], rows=table,
        figures={_("新发现问题"): opened, _("已整改问题"): resolved, _("待处理问题"): live},
        indicators=("core.findings_opened", "core.findings_resolved", "core.findings_live"))


def employer_section(ctx):
    rows = db.session.execute(
        select(Organization.name, func.count(Member.id),
               func.sum(case((Member.liaison_group_id.is_not(None), 1), else_=0)))
        .select_from(Member).outerjoin(Organization, Organization.id == Member.location_id)
        .where(Member.state == "active", Member.category == "in_service", Member.work_unit_id == ctx.unit.id)
        .group_by(Organization.name).order_by(Organization.name)).all()
    table = [[name or _("未到社区报到"), count, int(grouped or 0)] for name, count, grouped in rows]
    registered = sum(r[1] for r in table if r[0] != _("未到社区报到"))
    total = sum(r[1] for r in table)
    return BulletinSection(
        key="core.employer", title=_("在职党员到社区报到情况"), order=10,
        summary=_("本单位在职党员%(t)d名，已到居住地社区报到%(r)d名。", t=total, r=registered),
        columns=[_("报到社区"), _("人数"), _("已编入联络小组")], rows=table,
        figures={_("在职党员"): total, _("已报到"): registered}, indicators=("core.in_service", "core.located"))


def core_sections(ctx):
    if ctx.kind == "employer":
        return [employer_section(ctx)]
    return [coverage_section(ctx), findings_section(ctx)]


def _serialize(section, previous_figures, stored):
    data = asdict(section)
    data["summary"] = str(section.summary)
    data["title"] = str(section.title)
    data["columns"] = [str(c) for c in section.columns]
    data["rows"] = [[c if isinstance(c, (int, float)) or c is None else str(c) for c in row] for row in section.rows]
    data["figures"] = {str(k): v for k, v in section.figures.items()}
    data["indicators"] = list(section.indicators)
    if section.indicators:
        data["comparison"] = [_stored_comparison(stored[key]) for key in section.indicators if key in stored]
        return data
    data["comparison"] = []
    before = previous_figures.get(section.key, {})
    for name, value in data["figures"].items():
        prior = before.get(name)
        data["comparison"].append({"name": name, "value": value, "previous": prior,
                                   "change_text": _change_text(value, prior)})
    return data


def _change_text(value, prior):
    if prior is None or value is None:
        return _("上期无数据")
    if value == prior:
        return _("与上期持平")
    if value > prior:
        return _("比上期增加%(n)s", n=_number(round(value - prior, 1)))
    return _("比上期减少%(n)s", n=_number(round(prior - value, 1)))


def _rank_text(row):
    if row.rank is None:
        return ""
    if row.level == "community":
        return _("在街道%(n)d个社区中排第%(r)d名，在全市%(cn)d个社区中排第%(cr)d名",
                 n=row.peers, r=row.rank, cn=row.city_peers, cr=row.city_rank)
    if row.level == "street":
        return _("在全市%(n)d个街道中排第%(r)d名", n=row.peers, r=row.rank)
    return _("在%(n)d个单位中排第%(r)d名", n=row.peers, r=row.rank)


def _stored_comparison(row):
    value, prior = _number(row.value), _number(row.previous)
    return {"name": row.title, "value": value, "unit": row.unit, "previous": prior,
            "change_text": _change_text(value, prior), "rank_text": _rank_text(row),
            "rank": row.rank, "peers": row.peers}


def _previous_figures(bulletin, period):
    prior = db.session.scalar(
        select(Bulletin).where(Bulletin.scope == bulletin.scope, Bulletin.kind == bulletin.kind,
                               Bulletin.period == period.previous().label, Bulletin.state == "compiled")
        .order_by(Bulletin.version.desc()).limit(1))
    return {s["key"]: s.get("figures", {}) for s in (prior.sections if prior else [])}


def _title(kind, period, org, unit):
    name = unit.name if unit is not None else org.name
    return _("%(name)s%(period)s党员分类管理工作通报", name=name, period=period.title)


@dataclass(frozen=True)
class CompileResult:
    state: str  # "compiled", "skipped" (compiled already, or another worker holds it), "failed"
    bulletin_id: int | None
    outbox_ids: tuple = ()


def _claim(scope, kind, period, org_id, unit_id, recompile, staff_id, now):
    """Insert (or take over) the row for this compile; returns (bulletin id, token) or (id, None)."""
    token = uuid.uuid4().hex
    latest = db.session.scalar(select(func.max(Bulletin.version)).where(
        Bulletin.scope == scope, Bulletin.kind == kind, Bulletin.period == period.label))
    if latest is None or recompile:
        try:
            row = Bulletin(scope=scope, kind=kind, period=period.label, version=(latest or 0) + 1, org_id=org_id,
                           work_unit_id=unit_id, state="compiling", claim_token=token, claimed_at=now,
                           requested_by_id=staff_id, sections=[])
            db.session.add(row)
            db.session.commit()
            return row.id, token
        except IntegrityError:
            db.session.rollback()
            if recompile:
                return None, None
    existing = db.session.scalar(select(Bulletin).where(
        Bulletin.scope == scope, Bulletin.kind == kind, Bulletin.period == period.label)
        .order_by(Bulletin.version.desc()).limit(1))
    taken = db.session.execute(
        update(Bulletin).where(Bulletin.id == existing.id,
                               or_(Bulletin.state == "failed",
                                   and_(Bulletin.state == "compiling", Bulletin.claimed_at < now - LEASE)))
        .values(claim_token=token, claimed_at=now, state="compiling", error=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return existing.id, (token if taken else None)


def compile_bulletin(kind, scope, period_label, *, recompile=False, staff=None, now=None):
    """Compile one bulletin; a second call for the same (scope, kind, period) does nothing unless `recompile`."""
    now = now or utcnow()
    period = periods.parse(period_label)
    org_id = int(scope[4:]) if scope.startswith("org:") else None
    unit_id = int(scope[5:]) if scope.startswith("unit:") else None
    bulletin_id, token = _claim(scope, kind, period, org_id, unit_id, recompile, staff.id if staff else None, now)
    if token is None:
        return CompileResult("skipped", bulletin_id)
    bulletin = db.session.get(Bulletin, bulletin_id)
    mine = and_(Bulletin.id == bulletin_id, Bulletin.claim_token == token)
    try:
        org = db.session.get(Organization, org_id) if org_id else None
        unit = db.session.get(WorkUnit, unit_id) if unit_id else None
        # The figures come from the period's pass, computed now if it never ran, and the one before for 上期.
        indicator_pass.ensure(period.label, today=now.date())
        indicator_pass.ensure(period.previous().label, today=now.date())
        ctx = BulletinContext(kind=kind, scope=scope, period=period, previous=period.previous(), org=org,
                              unit=unit, today=now.date())
        sections = [*core_sections(ctx), *host().collect("wuguan_bulletin_sections", ctx=ctx)]
        for section in sections:
            if not isinstance(section, BulletinSection):
                raise TypeError(f"wuguan_bulletin_sections returned {section!r}, not a BulletinSection")
        sections.sort(key=lambda s: (s.order, s.key))
        before = _previous_figures(bulletin, period)
        data = [_serialize(s, before, ctx.indicators) for s in sections]
        title = _title(kind, period, org, unit)
        xlsx, pdf = render_xlsx(title, data), render_pdf(title, data)
        done = db.session.execute(
            update(Bulletin).where(mine, Bulletin.state == "compiling")
            .values(state="compiled", title=title, sections=data, xlsx=xlsx, pdf=pdf, compiled_at=utcnow(),
                    claim_token=None, error=None)
            .execution_options(synchronize_session=False)).rowcount
        outbox_ids = ()
        if done and unit is not None and unit.email:
            outbox_ids = tuple(_mail_to_employer(bulletin_id, unit, title, period, now))
        db.session.commit()
        return CompileResult("compiled" if done else "skipped", bulletin_id, outbox_ids)
    except Exception as exc:
        db.session.rollback()
        if isinstance(exc, SQLAlchemyError):  # its text carries SQL and values: staff get a sentence, the log the statement
            log.error("bulletin %s %s %s failed: %s", kind, scope, period.label, errorpages.describe(exc))
            error = _("汇编时数据库出错，已记录。请稍后重新汇编，或联系管理员。")
        else:
            log.exception("bulletin %s %s %s failed", kind, scope, period.label)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.execute(update(Bulletin).where(mine).values(state="failed", error=error)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        if isinstance(exc, (OperationalError, InterfaceError)):
            raise  # the connection, not the bulletin, failed: the task retries and takes the row over
        return CompileResult("failed", bulletin_id)


KINDS = ("community", "street", "employer")


def recent_periods(period_kind, today, count=None):
    """The last `count` complete periods (WUGUAN_BULLETIN_CATCH_UP by default), latest first."""
    count = count or current_app.config["WUGUAN_BULLETIN_CATCH_UP"]
    period = periods.last_complete(period_kind, today)
    found = []
    for _n in range(count):
        found.append(period)
        period = period.previous()
    return found


def missing(period_kind, today, count=None):
    """(kind, scope, period label) of every bulletin of the recent periods that no compile finished:
    never started, failed, or still compiling. A month whose compile failed is caught up by the next
    tick, not left out for good because beat only names the latest period."""
    labels = [p.label for p in recent_periods(period_kind, today, count)]
    done = set(db.session.execute(select(Bulletin.kind, Bulletin.scope, Bulletin.period)
                                  .where(Bulletin.period.in_(labels), Bulletin.state == "compiled")).all())
    wanted = [(kind, key, label) for label in labels for kind in KINDS for key, _o, _u in scopes(kind)]
    return [item for item in wanted if item not in done]


def expired_claims(now=None):
    """Compiles whose worker died (its claim older than the lease): (kind, scope, period label)."""
    now = now or utcnow()
    return db.session.execute(select(Bulletin.kind, Bulletin.scope, Bulletin.period).where(
        Bulletin.state == "compiling", Bulletin.claimed_at < now - LEASE).order_by(Bulletin.id)).all()


def _mail_to_employer(bulletin_id, unit, title, period, now):
    env = reminders.template_environment()
    subject, body = reminders.render(env, "bulletins/employer_mail.txt", {
        "title": title, "unit_name": unit.name, "contact": unit.contact_person, "period_title": period.title})
    return reminders.enqueue_rows([{
        "rule_code": "bulletin.employer", "dedup_key": f"{bulletin_id}", "channel": "email",
        "recipient": unit.email, "subject": subject, "body": body, "org_id": None, "bulletin_id": bulletin_id,
        "state": "pending", "attempts": 0, "created_at": now, "not_before": reminders.sending_time(now),
        "history": []}])


def attachments(bulletin_id):
    """What an employer's bulletin mail carries: the PDF to read and the XLSX to work with."""
    bulletin = db.session.get(Bulletin, bulletin_id)
    return [(f"{bulletin.title}.pdf", "application/pdf", bulletin.pdf),
            (f"{bulletin.title}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             bulletin.xlsx)]


def render_html(bulletin):
    return render_template_string((TEMPLATES / "bulletin.html").read_text(encoding="utf-8"), bulletin=bulletin)


def render_xlsx(title, sections):
    book = spreadsheet.Book()
    sheet = book.sheet(_("概况"))
    sheet.append([title], font=Font(bold=True, size=14))
    for section in sections:
        sheet.append([section["title"], section["summary"]])
        for item in section["comparison"]:
            sheet.append(["", item["name"], item["value"], item["change_text"], item.get("rank_text", "")])
    for index, section in enumerate(sections, start=1):
        ws = book.sheet(f"{index}.{section['title']}")
        ws.append([section["title"]])
        ws.append([section["summary"]])
        ws.append(section["columns"], font=Font(bold=True))
        for row in section["rows"]:
            ws.append(row)
    return book.bytes()


def render_pdf(title, sections):
    said = [title, *(str(v) for s in sections for v in (s["title"], s["summary"], *s["columns"],
                                                         *(c for row in s["rows"] for c in row),
                                                         *(i.get(k, "") for i in s["comparison"]
                                                           for k in ("name", "unit", "change_text", "rank_text"))))]
    return render(title, lambda pdf: _draw_pdf(pdf, title, sections), text="".join(said))


def _draw_pdf(pdf, title, sections):
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    for section in sections:
        pdf.ln(4)
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(0, 8, section["title"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)
        pdf.multi_cell(0, 6, section["summary"], new_x="LMARGIN", new_y="NEXT")
        for item in section["comparison"]:
            rank = f"，{item['rank_text']}" if item.get("rank_text") else ""
            pdf.multi_cell(0, 6, f"{item['name']}：{item['value']}{item.get('unit', '')}（{item['change_text']}{rank}）",
                           new_x="LMARGIN", new_y="NEXT")
        if section["rows"]:
            pdf.ln(2)
            with pdf.table(text_align="CENTER", line_height=6, headings_style=FontFace(emphasis="")) as table:
                table.row([str(c) for c in section["columns"]])
                for row in section["rows"]:
                    table.row(["" if c is None else str(c) for c in row])
