"""Employers' lists of in-service members, imported as 到社区报到 with the communities they live in.

An employer sends the community (or the street) a list of its in-service members with where they live.
Each row is matched by 身份证: a member on record outside the importer's scope gets core.identity's
refusal and goes to the conflict queue (nothing about them is said); one of the importer's own who
lives in a community outside it is refused as the registration form refuses them; a member on record
within it keeps their record (a different name for the same 身份证 is an error, never an update); a
member not yet on record is created as an in-service member living in that community and working at
the employer; then a registration is made, unless the member is already registered there. Reading,
dates, limits, the error report and the all-or-nothing shape are core.roster's; the rules are
`Member.validate` and `Registration.validate`: this module only matches.
"""
import datetime as dt
from dataclasses import dataclass, field
import functools
import hashlib

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import or_, select

from core.plugin_api import (GENDERS, ImportRefused, ImportReport, MEMBER_ORG_COLUMNS, Member, Organization,
                             PROGRESS_EVERY, RowError, ValidationError, WorkUnit, cell_text, db,
                             header_fields, holds_member, identity_refusal, import_error_report_xlsx,
                             import_template_xlsx, insert_rows, orgs_inside, parse_cell_date, read_table,
                             record_import, refer_identities, run_import, scope_clause, utcnow)

from .models import LIVES_ELSEWHERE, Registration

# field -> (the template's header, other headers employers use for it)
COLUMNS = {
    "name": ("姓名", "党员姓名"),
    "id_number": ("身份证号码", "身份证号", "公民身份号码", "身份证"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月"),
    "phone": ("联系电话", "电话", "手机", "手机号码"),
    "address": ("居住地址", "家庭住址", "现住址", "住址", "地址"),
    "community": ("所在社区", "居住社区", "报到社区", "社区"),
    "work_unit": ("工作单位", "单位", "单位名称"),
    "joined_on": ("入党日期", "入党时间"),
    "confirmed_on": ("转正日期", "转正时间"),
    "registered_on": ("报到日期", "报到时间"),
}
REQUIRED = ("name", "id_number", "community")
EXPLANATION = {
    "name": "必填", "id_number": "必填，18位，末位可为X", "gender": "可留空（按身份证）",
    "birth_date": "可留空（按身份证）", "phone": "手机或固定电话", "address": "小区、楼栋、门牌",
    "community": "必填：居住地社区党组织名称或编码", "work_unit": "单位全称；上传时已选择单位的可留空",
    "joined_on": "系统中尚无该党员时必填，如 2016-02-26", "confirmed_on": "正式党员必填（仅新建党员时使用）",
    "registered_on": "可留空（按导入当天）",
}
DATE_FIELDS = ("birth_date", "joined_on", "confirmed_on", "registered_on")
# A member on record keeps their record, so what only a new record needs is not asked of them.
NEW_MEMBER_ONLY = ("joined_on", "confirmed_on")
# Where a model's error about a field is shown in the file.
COLUMN_OF = {"status": "confirmed_on", "affiliation": "work_unit", "location": "community", "org": "community",
             "member": "id_number"}
GENDER_TITLES = {**{str(title): key for key, title in GENDERS.items()}, **{key: key for key in GENDERS}}
CHUNK = 1000


@dataclass
class Report(ImportReport):
    """`created` holds the members to create; `registrations` the registrations (new members' by 身份证)."""
    created: list = field(default_factory=list)
    registrations: list = field(default_factory=list)

    def counts(self):
        return {"rows": self.rows, "members": len(self.created), "registrations": len(self.registrations),
                "unchanged": self.unchanged, "errors": len(self.errors)}

    def summary(self):
        c = self.counts()
        return _("共 %(r)d 行：新建党员 %(m)d，新建报到 %(g)d，已报到不变 %(n)d，错误 %(e)d", r=c["rows"],
                 m=c["members"], g=c["registrations"], n=c["unchanged"], e=c["errors"])


@dataclass
class Row:
    n: int
    values: dict
    member: Member
    org: Organization | None
    registered_on: dt.date
    errors: list  # (field, message) whatever the database holds
    member_errors: list  # Member.validate's (field, message), sorted once we know whether the member is on record


class Lookup:
    """The communities the importer may register members with and the employers, one query each."""

    def __init__(self, staff, employer):
        self.orgs = {}
        for oid, name, code, kind in db.session.execute(
                select(Organization.id, Organization.name, Organization.code, Organization.kind)
                .where(scope_clause(Organization, staff))):
            # Light stand-ins: the models' rules read kind and name, and nothing is flushed.
            stand_in = Organization(kind=kind, name=name, code=code)
            stand_in.id = oid
            self.orgs[name] = self.orgs[code] = stand_in
        self.units = dict(db.session.execute(select(WorkUnit.name, WorkUnit.id)).all())
        if employer and employer not in self.units:
            raise ImportRefused(_("找不到工作单位“%(v)s”", v=employer))
        self.employer = employer


def validate(data, filename, staff, employer=None, progress=None):
    """Read and check every row; nothing is written but the identity conflicts found. `employer` (a unit's
    name) stands for a missing or empty 工作单位 column. Returns a Report; `progress(rows read)` as in core.roster."""
    report = Report(filename=filename, checksum=hashlib.sha256(data).hexdigest())
    headers, rows = read_table(data, filename, COLUMNS)
    report.headers = headers
    fields = header_fields(headers, COLUMNS)
    missing = [COLUMNS[f][0] for f in REQUIRED + (() if employer else ("work_unit",)) if f not in fields]
    if missing:
        raise ImportRefused(_("缺少必需的列：%(c)s", c="、".join(missing)))
    lookup = Lookup(staff, employer)
    parsed, seen = [], {}
    for n, cells in rows:
        report.rows += 1
        if progress and report.rows % PROGRESS_EVERY == 0:
            progress(report.rows)
        row = _row(n, {f: cells[i] if i < len(cells) else None for i, f in enumerate(fields) if f}, lookup)
        number = row.member.id_number
        if any(name == "id_number" for name, _m in row.member_errors):  # nothing to match it by
            _report(report, row, row.errors + row.member_errors)
        elif number in seen:
            _report(report, row, [("id_number", _("与第 %(r)d 行的身份证号码重复", r=seen[number]))])
        else:
            seen[number] = n
            parsed.append(row)
    _against_database(parsed, report, staff)
    report.errors.sort(key=lambda e: e.row)
    refer_identities(report.referrals, staff, "dual_import")
    return report


def _row(n, values, lookup):
    errors, dates = [], {}
    for name in DATE_FIELDS:
        try:
            dates[name] = parse_cell_date(values.get(name))
        except ValueError as exc:
            errors.append((name, str(exc)))
    text = {name: cell_text(values.get(name)) or None for name in ("name", "id_number", "phone", "address")}
    gender = cell_text(values.get("gender"))
    if gender and gender not in GENDER_TITLES:
        errors.append(("gender", _("“%(v)s”不是可用的%(f)s", v=gender, f=COLUMNS["gender"][0])))
    community = cell_text(values.get("community"))
    org = lookup.orgs.get(community)
    if community and org is None:
        errors.append(("community", _("找不到社区“%(v)s”，或不在您的管理范围内", v=community)))
    unit = cell_text(values.get("work_unit")) or lookup.employer
    if not unit:
        errors.append(("work_unit", _("工作单位不能为空")))
    elif unit not in lookup.units:
        errors.append(("work_unit", _("找不到工作单位“%(v)s”", v=unit)))
    member = Member(**text, gender=GENDER_TITLES.get(gender), birth_date=dates.get("birth_date"),
                    joined_on=dates.get("joined_on"), confirmed_on=dates.get("confirmed_on"),
                    status="full" if dates.get("confirmed_on") else "probationary", category="in_service",
                    state="active", ethnicity="汉族", probation_extension_months=0,
                    location_id=org.id if org else None, work_unit_id=lookup.units.get(unit))
    member.__dict__["location"] = org  # the stand-in, so the rules never load from the database
    member_errors = []
    try:
        member.validate()
    except ValidationError as exc:
        unreadable = {name for name, _message in errors}  # "empty" would only repeat why
        if "id_number" in exc.errors and not gender:
            unreadable.add("gender")  # it comes from the number, whose own error says it all
        member_errors = [(name, message) for name, message in _columns(exc) if name not in unreadable]
    return Row(n, values, member, org, dates.get("registered_on") or dt.date.today(), errors, member_errors)


def _columns(exc):
    """A model's ValidationError as (field of the file, message) pairs."""
    return [(COLUMN_OF.get(name, name if name in COLUMNS else "name"), message)
            for name, messages in exc.errors.items() for message in messages]


def _report(report, row, errors):
    report.errors.extend(RowError(row.n, COLUMNS[name][0], row.values.get(name), message)
                         for name, message in errors)


def _chunks(items, size=CHUNK):
    items = list(items)
    return (items[start:start + size] for start in range(0, len(items), size))


def _against_database(parsed, report, staff):
    """Members on record by 身份证 and their current registrations: a few statements per thousand rows."""
    existing = {}
    for chunk in _chunks(row.member.id_number for row in parsed):
        existing.update((r.id_number, r) for r in db.session.execute(
            select(Member.id, Member.id_number, Member.name, Member.category, Member.affiliation_id,
                   Member.location_id).where(Member.id_number.in_(chunk))))
    registered = {}
    for chunk in _chunks(r.id for r in existing.values()):
        for member_id, org_id, org_name in db.session.execute(
                select(Registration.member_id, Registration.org_id, Organization.name)
                .join(Organization, Organization.id == Registration.org_id)
                .where(Registration.member_id.in_(chunk), Registration.state == "registered")):
            registered.setdefault(member_id, {})[org_id] = org_name
    inside = orgs_inside({getattr(r, c) for r in existing.values() for c in MEMBER_ORG_COLUMNS}
                               | {org_id for orgs in registered.values() for org_id in orgs}, staff)
    for row in parsed:
        old = existing.get(row.member.id_number)
        if old is not None and not holds_member(old._asdict(), inside):
            _report(report, row, [("id_number", identity_refusal())])
            report.referrals.append((old.id, old.id_number, row.member.name))
            continue
        errors = list(row.errors)
        if old is None:
            errors += row.member_errors
            subject = row.member
        else:
            errors += [(k, m) for k, m in row.member_errors if k not in NEW_MEMBER_ONLY]
            if row.member.name and row.member.name.strip() != old.name:
                errors.append(("name", _("姓名与系统中该身份证号码的党员不一致")))
            if old.location_id is not None and old.location_id not in inside:
                errors.append(("community", str(LIVES_ELSEWHERE)))
            subject = Member(name=old.name, category=old.category)
        if not any(name == "community" for name, _m in errors):
            errors += _registration_errors(subject, row)
        if errors:
            _report(report, row, errors)
            continue
        here = registered.get(old.id, {}) if old else {}
        if row.org.id in here:
            report.unchanged += 1
            continue
        if here:
            _report(report, row, [("community", _("该党员已在“%(c)s”报到，须先在原社区登记离开",
                                                 c="、".join(sorted(here.values()))) if set(here) <= inside
                                   else _("该党员已在其他社区报到，须先在原社区登记离开"))])
            continue
        if old is None:
            report.created.append({c.key: getattr(row.member, c.key) for c in Member.__table__.columns
                                   if c.key not in ("id", "created_at", "updated_at")})
        report.registrations.append({"member_id": old.id if old else None, "id_number": row.member.id_number,
                                     "org_id": row.org.id, "code": row.org.code,
                                     "registered_on": row.registered_on})


def _registration_errors(member, row):
    """Registration.validate on a transient registration (the card number is given at commit)."""
    try:
        Registration(member=member, org=row.org, registered_on=row.registered_on, card_no="-",
                     state="registered").validate()
    except ValidationError as exc:
        return _columns(exc)
    return []


def commit(data, filename, staff, employer=None, progress=None):
    """Validate again and write everything in one transaction, or nothing if any row is wrong."""
    report = validate(data, filename, staff, employer, progress)
    if not report.ok:
        return report
    now = utcnow()
    members, registrations = Member.__table__, Registration.__table__
    try:
        ids = insert_rows(db.session, members, ({**r, "created_at": now, "updated_at": now} for r in report.created),
                          return_ids=True)
        created = dict(zip((r["id_number"] for r in report.created), ids))
        rows = [{"member_id": r["member_id"] or created[r["id_number"]], "org_id": r["org_id"],
                 "registered_on": r["registered_on"], "card_no": card, "post_id": None, "state": "registered",
                 "left_on": None, "created_at": now, "updated_at": now}
                for r, card in zip(report.registrations, _card_numbers(report.registrations))]
        insert_rows(db.session, registrations, rows)
        record_import("dual_registration", filename, report, employer=employer)
    except Exception:
        db.session.rollback()
        raise
    return report


def _card_numbers(registrations):
    """社区联系卡 numbers continue each community's series, `<community code>-00001` (as the cards already
    issued are numbered), in the order of the rows."""
    codes = sorted({r["code"] for r in registrations})
    last = dict.fromkeys(codes, 0)
    for chunk in _chunks(codes, 100):
        for (card_no,) in db.session.execute(select(Registration.card_no).where(
                or_(*(Registration.card_no.startswith(f"{code}-", autoescape=True) for code in chunk)))):
            code, _dash, number = card_no.rpartition("-")
            if number.isdigit() and code in last:
                last[code] = max(last[code], int(number))
    cards = []
    for r in registrations:
        last[r["code"]] += 1
        cards.append(f"{r['code']}-{last[r['code']]:05d}")
    return cards


def template_xlsx():
    return import_template_xlsx(COLUMNS, EXPLANATION, "在职党员名单")


def error_report_xlsx(data, filename, report):
    return import_error_report_xlsx(data, filename, report, COLUMNS)


def register_cli(cli):
    """`wuguan import registrations FILE`, beside core's `wuguan import members`."""

    @cli.commands["import"].command("registrations")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--employer", help="工作单位名称（表中没有“工作单位”列或该列留空时）")
    @click.option("--commit", "write", is_flag=True, help="校验全部通过后写入（默认只试运行）")
    @click.option("--as", "username", help="以该工作人员的管理范围导入（默认全市）")
    @click.option("--errors", "errors_path", type=click.Path(dir_okay=False), help="把错误报告写成 XLSX")
    @with_appcontext
    def import_registrations_command(path, employer, write, username, errors_path):
        """Import an employer's list of in-service members as 到社区报到: a dry run unless --commit."""
        run_import(path, write, username, errors_path, check=functools.partial(validate, employer=employer),
                   write=functools.partial(commit, employer=employer), error_report=error_report_xlsx)
