"""Member rosters in and out of spreadsheets: the way a city moves onto the system.

Every row is read and validated before anything is written (the same rules as any
other path: `Member.validate`), the result is a report of created / updated /
unchanged rows and of errors per cell, and a commit writes all of it in one
transaction or nothing. Files are read as streams with limits, so a hostile file
(a zip bomb, a million empty rows, something that is not a spreadsheet) is refused
with a message instead of exhausting the machine.
"""
import csv
import datetime as dt
import functools
import hashlib
import io
import logging
from pathlib import Path
import re
import zipfile
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from . import audit, identity, privacy, scope, spreadsheet, xlsx
from .bulk import insert_rows
from .errorpages import describe
from .errors import ValidationError
from .extensions import db, scalar_defaults
from .models import Member, Organization, WorkUnit
from .models import members as m
from .models.base import utcnow
from .plugins import host

log = logging.getLogger(__name__)

# field -> (the template's header, other headers branches use for it)
COLUMNS = {
    "name": ("姓名", "党员姓名"),
    "id_number": ("身份证号码", "身份证号", "公民身份号码", "身份证"),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生日期", "出生年月"),
    "phone": ("联系电话", "电话", "固定电话"),
    "mobile": ("手机", "手机号码", "手机号"),
    "email": ("电子邮箱", "邮箱", "电子邮件"),
    "address": ("家庭住址", "住址", "地址"),
    "building": ("楼栋", "楼号"),
    "unit_no": ("单元",),
    "room": ("房号", "门牌号"),
    "education": ("学历", "文化程度"),
    "joined_on": ("入党日期", "入党时间"),
    "confirmed_on": ("转正日期", "转正时间"),
    "category": ("类别", "党员类别", "管理类别"),
    "affiliation": ("所属党组织", "所在党支部", "党支部"),
    "location": ("所在社区", "居住社区", "社区"),
    "liaison_group": ("联络小组", "楼寓党员联络小组"),
    "work_unit": ("工作单位", "单位"),
}
REQUIRED = ("name", "id_number", "joined_on", "category")
DATE_FIELDS = ("birth_date", "joined_on", "confirmed_on")
ORG_FIELDS = {"affiliation": "affiliation_id", "location": "location_id", "liaison_group": "liaison_group_id"}
EXPLANATION = {
    "name": "必填", "id_number": "必填，18位，末位可为X", "gender": "男/女，可留空（按身份证）",
    "birth_date": "可留空（按身份证）", "joined_on": "必填，如 2016-02-26", "confirmed_on": "正式党员必填",
    "category": "必填：" + "、".join(["居住地党员", "在职党员", "离退休党员", "..."]),
    "affiliation": "党组织名称或编码", "location": "社区党组织名称或编码", "liaison_group": "名称或编码",
    "work_unit": "单位全称", "mobile": "可留空；本人手机，用于短信提醒", "email": "可留空；本人邮箱，用于邮件提醒",
}
EXPLANATION_MARK = "（说明）"
PROGRESS_EVERY = 1000
CHUNK_ROWS = 1000  # rows checked against the database at a time
EMPTY_ROWS_TO_STOP = 1000
EXCEL_EPOCH = dt.date(1899, 12, 30)


def limits():
    cfg = current_app.config
    return {"bytes": cfg.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024),
            "unzipped": cfg.get("IMPORT_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024),
            "rows": cfg.get("IMPORT_MAX_ROWS", 200_000)}


@dataclass
class RowError:
    """One error of one imported row: row number, column title, the value and the message."""
    row: int
    column: str
    value: object
    message: str


@dataclass
class Report:
    """What an import would do (dry run) or did (commit)."""
    filename: str
    checksum: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    headers: list = field(default_factory=list)
    committed: bool = False
    referrals: list = field(default_factory=list)  # (member id, 身份证, name) held outside the importer's scope

    @property
    def ok(self):
        return not self.errors

    def counts(self):
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "errors": len(self.errors)}

    def summary(self):
        """The counts in one line, for the screen and the command line alike."""
        c = self.counts()
        return _("共 %(r)d 行：新增 %(c)d，更新 %(u)d，不变 %(n)d，错误 %(e)d", r=c["rows"], c=c["created"],
                 u=c["updated"], n=c["unchanged"], e=c["errors"])


class ImportRefused(ValueError):
    """The file as a whole cannot be read; the message says why, in Chinese."""


# -- reading ---------------------------------------------------------------------------
def read_table(data, filename, columns=COLUMNS):
    """(headers, iterator of (row number, cells)) from XLSX or CSV bytes, within the limits.
    `columns` ({field: headers}) finds the header row; other importers pass their own."""
    lim = limits()
    if len(data) > lim["bytes"]:
        raise ImportRefused(_("文件过大（%(n)s MB），上限为 %(max)s MB",
                              n=round(len(data) / 1048576, 1), max=round(lim["bytes"] / 1048576)))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, lim, columns)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportRefused(_("文件不是有效的 Excel（.xlsx）表格"))
    return _read_csv(data, columns)


def _read_xlsx(data, lim, columns):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportRefused(_("文件不是有效的 Excel（.xlsx）表格")) from None
    if unzipped > lim["unzipped"]:
        raise ImportRefused(_("文件解压后过大，疑似压缩炸弹，已拒绝"))
    return _split(_xlsx_rows(archive), lim, columns)


def _xlsx_rows(archive):
    """A part missing, malformed or pointing nowhere, wherever in the file: the same refusal."""
    try:
        yield from xlsx.rows(archive)
    except Exception:
        raise ImportRefused(_("文件不是有效的 Excel（.xlsx）表格")) from None


def _read_csv(data, columns):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused(_("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV"))
    if "\x00" in text:
        raise ImportRefused(_("文件不是表格（CSV 或 Excel）"))
    rows = csv.reader(io.StringIO(text))
    return _split(((n, cells) for n, cells in enumerate(rows, 1)), limits(), columns)


def _split(numbered, lim, columns):
    """Find the header row (the first with a known header), then stream the data rows."""
    for n, cells in numbered:
        headers = [str(c).strip() if c is not None else "" for c in cells]
        if any(_field_for(h, columns) for h in headers):
            return headers, _data_rows(numbered, lim)
        if n > 20:
            break
    raise ImportRefused(_("没有找到表头：第一行应有“姓名”“身份证号码”等列名，可下载模板对照"))


def _data_rows(numbered, lim):
    empty = 0
    count = 0
    for n, cells in numbered:
        if cells and str(cells[0] or "").startswith(EXPLANATION_MARK):
            continue
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            empty += 1
            if empty >= EMPTY_ROWS_TO_STOP:
                return
            continue
        empty = 0
        count += 1
        if count > lim["rows"]:
            raise ImportRefused(_("行数超过上限 %(max)d 行，请分批导入", max=lim["rows"]))
        yield n, cells


def _field_for(header, columns=COLUMNS):
    header = re.sub(r"\s|[*＊（(].*", "", header or "")
    for name, variants in columns.items():
        if header in variants:
            return name
    return None


# -- values ------------------------------------------------------------------------------
def parse_date(value):
    """2016-02-26, 2016/2/26, 2016年2月26日, 2016.2.26, 20160226, Excel serial numbers and real dates."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and 1 < value < 80000:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text) or \
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        raise ValueError(_("无法识别的日期“%(v)s”，请写成 2016-02-26", v=text))
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        raise ValueError(_("日期“%(v)s”不存在", v=text)) from None


def header_fields(headers, columns):
    """The field each header stands for (None for a column no field claims)."""
    return [_field_for(h, columns) for h in headers]


def cell_text(value):
    """A cell's value as trimmed text (numbers without a trailing .0); empty for a blank cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _titles(mapping):
    """{title or key: key}, so a roster may say 离退休党员 or retired."""
    return {**{str(t): k for k, t in mapping.items()}, **{k: k for k in mapping}}


# -- validating --------------------------------------------------------------------------
class Resolver:
    """Names and codes of what the importer may link to, loaded once (one query each)."""

    def __init__(self, staff):
        rows = db.session.execute(select(Organization.id, Organization.name, Organization.code, Organization.kind,
                                         Organization.path).where(scope.linkable_orgs(staff))).all()
        self.orgs, self.stand_ins = {}, {}
        for oid, name, code, kind, path in rows:
            self.orgs[name] = self.orgs[code] = (oid, kind)
            # Member.validate checks kinds and nesting through relationships: light, shared stand-ins.
            stand_in = Organization(kind=kind, name=name, code=code)
            stand_in.path = path
            self.stand_ins[oid] = stand_in
        self.units = dict(db.session.execute(select(WorkUnit.name, WorkUnit.id)).all())
        self.categories = _titles({c: title for c, (mode, title) in host().categories.items()})
        self.genders = _titles(m.GENDERS)
        self.educations = _titles(m.EDUCATIONS)


class Candidate:
    """A roster row as `Member.validate` sees a new member, without the ORM's bookkeeping:
    building a mapped Member per row cost about as much as checking it. The rules stay
    Member's own; this only carries the values and the columns' defaults."""

    validate = Member.validate

    def __init__(self, **fields):
        self.__dict__.update(_blank_member(), **fields)


@functools.cache
def _blank_member():
    """Every attribute of a new Member: its columns' defaults, else None (relationships too)."""
    return {**{attr.key: None for attr in inspect(Member).attrs}, **scalar_defaults(Member)}


def validate(data, filename, staff, progress=None):
    """Read and check every row; no member is written (identity conflicts found are filed). Returns a Report.
    `progress(rows read)` is called every PROGRESS_EVERY rows, for a progress bar."""
    report = _check(data, filename, staff, progress)
    identity.refer_all(report.referrals, staff, "roster")
    return report


def _check(data, filename, staff, progress, keep=None):
    """Validate as a stream, a chunk of rows at a time; `keep(created, updated)`, if given,
    receives each chunk's rows to write (created as tuples in VALUE_KEYS' order)."""
    report = Report(filename=filename, checksum=hashlib.sha256(data).hexdigest())
    headers, rows = read_table(data, filename)
    report.headers = headers
    fields = [_field_for(h) for h in headers]
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in fields]
    if missing:
        raise ImportRefused(_("缺少必需的列：%(c)s", c="、".join(missing)))
    resolver = Resolver(staff)
    in_scope = (scope.clause(Member, staff), staff, set(resolver.stand_ins))
    chunk, seen = [], {}
    for n, cells in rows:
        report.rows += 1
        if progress and report.rows % PROGRESS_EVERY == 0:
            progress(report.rows)
        values = {f: cells[i] if i < len(cells) else None for i, f in enumerate(fields) if f}
        member, errors = _member_from(values, resolver)
        for column, message in errors:
            report.errors.append(RowError(n, COLUMNS[column][0], values.get(column), message))
        if member is None:
            continue
        if member.id_number in seen:
            report.errors.append(RowError(n, COLUMNS["id_number"][0], member.id_number,
                                          _("与第 %(r)d 行的身份证号码重复", r=seen[member.id_number])))
            continue
        seen[member.id_number] = n
        chunk.append((n, member))
        if len(chunk) == CHUNK_ROWS:
            _against_database(chunk, report, in_scope, keep)
            chunk = []
    _against_database(chunk, report, in_scope, keep)
    return report


def _member_from(values, resolver):
    errors = []
    fields = {}
    for name in DATE_FIELDS:
        try:
            fields[name] = parse_date(values.get(name))
        except ValueError as exc:
            errors.append((name, str(exc)))
    for name in ("name", "id_number", "ethnicity", "phone", "mobile", "email", "address", "building", "unit_no",
                 "room"):
        fields[name] = cell_text(values.get(name)) or None
    for name, lookup in (("gender", resolver.genders), ("education", resolver.educations),
                         ("category", resolver.categories)):
        raw = cell_text(values.get(name))
        if raw:
            if raw not in lookup:
                errors.append((name, _("“%(v)s”不是可用的%(f)s", v=raw, f=COLUMNS[name][0])))
            else:
                fields[name] = lookup[raw]
    for name, column in ORG_FIELDS.items():
        raw = cell_text(values.get(name))
        if raw:
            if raw not in resolver.orgs:
                errors.append((name, _("找不到党组织“%(v)s”，或不在您的管理范围内", v=raw)))
            else:
                fields[column] = resolver.orgs[raw][0]
    raw_unit = cell_text(values.get("work_unit"))
    if raw_unit:
        if raw_unit not in resolver.units:
            errors.append(("work_unit", _("找不到工作单位“%(v)s”", v=raw_unit)))
        else:
            fields["work_unit_id"] = resolver.units[raw_unit]
    fields["status"] = "full" if fields.get("confirmed_on") else "probationary"
    member = Candidate(**{k: v for k, v in fields.items() if v is not None})
    _attach_orgs(member, resolver)
    try:
        member.validate()
    except ValidationError as exc:
        unreadable = {column for column, _ in errors}  # "empty" would only repeat why
        for name, messages in exc.errors.items():
            column = name if name in COLUMNS else {"status": "confirmed_on"}.get(name, "name")
            if column not in unreadable:
                errors.extend((column, msg) for msg in messages)
    return (None if errors else member), errors


def _attach_orgs(member, resolver):
    for relation, column in (("location", "location_id"), ("liaison_group", "liaison_group_id")):
        oid = getattr(member, column)
        if oid:
            member.__dict__[relation] = resolver.stand_ins[oid]


def _against_database(parsed, report, in_scope, keep):
    """Match by 身份证: new rows are created, changed rows updated, the rest unchanged; a number held
    outside the importer's scope is refused as identity.REFUSAL and referred, and no row may leave
    the scope (the form's rule, asked of rows not yet written)."""
    if not parsed:
        return
    clause, staff, linkable = in_scope
    numbers = [mem.id_number for _, mem in parsed]
    existing = {row["id_number"]: dict(row) for row in db.session.execute(
        select(Member.__table__).where(Member.id_number.in_(numbers))).mappings()}
    visible = set()
    if existing:
        visible.update(db.session.scalars(select(Member.id).where(
            Member.id.in_([row["id"] for row in existing.values()]), clause)))
    inside = scope.orgs_inside({getattr(mem, c) for _, mem in parsed for c in scope.MEMBER_ORG_COLUMNS}, staff)
    created, updated = [], []
    sealed, sealed_open = privacy.columns(Member), privacy.sees_sensitive(staff)
    for n, member in parsed:
        values = _values(member)
        old = existing.get(member.id_number)
        if old is not None and old["id"] not in visible:
            report.errors.append(RowError(n, COLUMNS["id_number"][0], member.id_number, identity.refusal()))
            report.referrals.append((old["id"], member.id_number, member.name))
            continue
        changes = {k: v for k, v in values.items() if v is not None and (old is None or old.get(k) != v)}
        if old is not None and not sealed_open:  # as the edit form: what one may not read, one may not overwrite
            changes = {k: v for k, v in changes.items() if k not in sealed}
        if not scope.holds_member({**(old or {}), **changes}, inside):
            report.errors.append(RowError(n, COLUMNS["affiliation"][0], None, str(scope.OUT_OF_SCOPE)))
            continue
        kept = [name for name, column in ORG_FIELDS.items()
                if column in changes and old is not None and old[column] is not None and old[column] not in linkable]
        if kept:  # the form shows such a link read-only and keeps it; a file may not change it either
            report.errors.extend(RowError(n, COLUMNS[name][0], None, _("该党员的%(f)s不在您的管理范围内，不能修改",
                                                                      f=COLUMNS[name][0])) for name in kept)
            continue
        if old is None:
            report.created += 1
            created.append(tuple(values.values()))
            continue
        if changes:
            report.updated += 1
            updated.append({"id": old["id"], **changes})
        else:
            report.unchanged += 1
    if keep and report.ok:
        keep(created, updated)


# What a roster row sets on a member; name_pinyin and name_initials are set by Member.validate.
VALUE_KEYS = ("name", "gender", "ethnicity", "birth_date", "id_number", "phone", "mobile", "email", "address",
              "building", "unit_no", "room", "education", "joined_on", "confirmed_on", "status", "category", "affiliation_id",
              "location_id", "liaison_group_id", "work_unit_id", "name_pinyin", "name_initials")


def _values(member):
    return {k: getattr(member, k) for k in VALUE_KEYS}


# -- committing ---------------------------------------------------------------------------
def commit(data, filename, staff, progress=None):
    """Check every row, then write them all in one transaction, or nothing if any row is wrong.
    The file is read once: the rows to write are kept, compactly, while checking."""
    created, updated = [], []

    def keep(new, changed):
        created.extend(new)
        updated.extend(changed)

    report = _check(data, filename, staff, progress, keep)
    if not report.ok:
        identity.refer_all(report.referrals, staff, "roster")
        return report
    now = utcnow()
    try:
        _insert_members(created, now)
        by_keys = {}
        for row in updated:
            by_keys.setdefault(tuple(sorted(row)), []).append(row)
        for keys, rows in by_keys.items():
            table = Member.__table__
            statement = update(table).where(table.c.id == bindparam("_id")).values(
                {k: bindparam(k) for k in keys if k != "id"} | {"updated_at": now})
            db.session.connection().execute(statement, [{**r, "_id": r["id"]} for r in rows])
        record_import("member", filename, report)
    except Exception:
        db.session.rollback()
        raise
    return report


def record_import(kind, filename, report, **extra):
    """The whole file as one audit entry (with its checksum), then the one commit."""
    audit.record(db.session, kind, "import", f"{filename} sha256:{report.checksum[:16]}",
                 after={**report.counts(), **extra, "sha256": report.checksum})
    db.session.commit()
    report.committed = True


def _insert_members(rows, now):
    """New members (kept as tuples while checking: a 100,000-row file in little memory)."""
    columns = VALUE_KEYS + ("state", "probation_extension_months", "created_at", "updated_at")
    constant = ("active", 0, now, now)
    insert_rows(db.session, Member.__table__, (dict(zip(columns, row + constant)) for row in rows))


# -- on the workers ---------------------------------------------------------------------------
def estimate_rows(data):
    """A cheap row count for the progress bar: the sheet's row tags, or the CSV's lines."""
    if data[:4] == b"PK\x03\x04":
        try:
            return xlsx.count_rows(zipfile.ZipFile(io.BytesIO(data)))
        except Exception:
            return None
    return data.count(b"\n")


def run_job(job_id):
    """Check (and, if asked, commit) a stored upload, recording progress on the job row as it goes.
    The file is deleted once nothing more can be done with it (committed, refused, failed, or checked with errors)."""
    from .models import ImportJob, Staff
    job = db.session.get(ImportJob, job_id)
    if job is None or job.state not in ("queued", "checked"):
        return None
    staff = db.session.get(Staff, job.staff_id)
    data = Path(job.stored_as).read_bytes()
    job.state, job.total_rows = ("committing" if job.commit else "checking"), estimate_rows(data)
    db.session.commit()

    def progress(rows):
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(done_rows=rows))
        db.session.commit()

    try:
        with audit.acting_as(staff.username, staff.id):
            report = (commit if job.commit else validate)(data, job.filename, staff, progress)
    except ImportRefused as exc:
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        job.state, job.message = "refused", str(exc)
    except Exception as exc:
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        job.state, job.message = "failed", _("导入出错，未写入任何数据，已记录。请检查文件后重试，或联系管理员。")
        if isinstance(exc, SQLAlchemyError):  # its text carries the rows' values: the log keeps the statement only
            log.error("import job %s failed: %s", job_id, describe(exc))
        else:
            log.exception("import job %s failed", job_id)
    else:
        job = db.session.get(ImportJob, job_id)
        job.state = "done" if report.committed else "checked"
        job.done_rows, job.counts = report.rows, report.counts()
        job.errors = [{"row": e.row, "column": e.column, "value": _plain(e.value), "message": e.message}
                      for e in report.errors[:500]]
    job.finished_at = utcnow()
    db.session.commit()
    if not (job.state == "checked" and not job.errors):  # only a clean check waits for its commit
        discard_upload(Path(job.stored_as))
    return job


def _plain(value):
    return value if value is None or isinstance(value, (int, float, str)) else str(value)


# -- uploaded files: kept only while they may still be committed ------------------------------
def upload_folder():
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(exist_ok=True)
    return folder


def discard_upload(path):
    """Delete an uploaded file and the note kept beside it."""
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)


def purge_uploads(now=None):
    """Delete the uploads older than WUGUAN_UPLOAD_RETENTION_HOURS: checked, never committed, abandoned.
    Returns how many files went."""
    hours = current_app.config["WUGUAN_UPLOAD_RETENTION_HOURS"]
    cutoff = (now or dt.datetime.now(dt.timezone.utc)).timestamp() - hours * 3600
    removed = 0
    for path in upload_folder().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# -- files for staff ------------------------------------------------------------------------
def template_xlsx(columns=COLUMNS, explanations=EXPLANATION, title="党员名册"):
    """An import template: Chinese headers, one explanation row."""
    book = spreadsheet.Book()
    sheet = book.sheet(title)
    sheet.append([variants[0] for variants in columns.values()], font=Font(bold=True))
    sheet.append([f"{EXPLANATION_MARK}{explanations.get(name, '可留空')}" for name in columns],
                 font=Font(italic=True, color="888888"))
    return book.bytes()


def error_report_xlsx(data, filename, report, columns=COLUMNS):
    """The file as it came (read again, not kept in memory), with bad cells filled red and explained,
    and a sheet listing every error. `report.errors` name columns by their template header."""
    book = spreadsheet.Book()
    sheet = book.sheet("数据")
    bad = {(e.row, e.column): e.message for e in report.errors}
    column_of = {i: columns[f][0] if f else None for i, f in enumerate(header_fields(report.headers, columns))}
    red = PatternFill("solid", fgColor="FFC7CE")
    headers, rows = read_table(data, filename, columns)
    sheet.append(headers)
    for n, cells in rows:
        out = []
        for i, value in enumerate(cells):
            message = bad.get((n, column_of.get(i)))
            out.append(sheet.cell(value, fill=red, comment=Comment(message, "wuguan")) if message else value)
        sheet.append(out)
    errors = book.sheet("错误")
    errors.append(["行", "列", "值", "问题"])
    for e in report.errors:
        errors.append([e.row, e.column, e.value, e.message])
    return book.bytes()


# -- the branch's roster ---------------------------------------------------------------------
ROSTER_COLUMNS = ("序号", "姓名", "性别", "民族", "出生日期", "学历", "入党日期", "转正日期", "类别", "所属党组织",
                  "联系电话", "家庭住址")


def branch_roster(org, staff):
    """(title, columns, rows) of the members an organization's subtree holds, in the layout branches keep."""
    from . import privacy
    rows = db.session.execute(
        select(Member, Organization.name).join(Organization, Member.affiliation_id == Organization.id)
        .where(Organization.in_subtree(org.path), Member.state == "active", scope.clause(Member, staff))
        .order_by(Organization.path, Member.joined_on, Member.id)).all()
    categories = {c: str(t) for c, (_, t) in host().categories.items()}
    def shown(mem, name):
        return str(privacy.reveal_attr(mem, name, staff) or "")
    table = [[n, mem.name, str(m.GENDERS.get(mem.gender, "")), mem.ethnicity, shown(mem, "birth_date"),
              str(m.EDUCATIONS.get(mem.education, "")), mem.joined_on.isoformat(),
              mem.confirmed_on.isoformat() if mem.confirmed_on else "", categories.get(mem.category, mem.category),
              branch, shown(mem, "phone"), shown(mem, "address")]
             for n, (mem, branch) in enumerate(rows, 1)]
    title = _("%(org)s党员花名册（截至 %(d)s，共 %(n)d 人）", org=org.name, d=dt.date.today().isoformat(),
              n=len(table))
    return title, list(ROSTER_COLUMNS), table


def branch_roster_xlsx(org, staff):
    title, columns, rows = branch_roster(org, staff)
    book = spreadsheet.Book()
    sheet = book.sheet(_("花名册"))
    sheet.append([title], font=Font(bold=True, size=14))
    sheet.append(columns, font=Font(bold=True))
    for row in rows:
        sheet.append(row)
    return title, book.bytes()


def branch_roster_pdf(org, staff):
    from .bulletins import render_pdf
    title, columns, rows = branch_roster(org, staff)
    section = {"title": "", "summary": "", "comparison": [], "columns": columns, "rows": rows}
    return title, render_pdf(title, [section])
