"""Spreadsheet exports: XLSX (openpyxl, streamed write-only) and CSV (UTF-8 with BOM, for Excel).

A cell that begins with = + - @ (or a tab or carriage return) is prefixed with an
apostrophe, so a name like "=HYPERLINK(...)" arrives as text, not as a formula.
"""
import csv
import datetime as dt
import io
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook

from .. import audit
from ..extensions import db

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def xlsx_bytes(titles, rows, sheet="导出"):
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(titles)
    count = 0
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        count += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), count


def csv_bytes(titles, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(titles)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        count += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), count


def response(filename, export_type, titles, rows, table, note=""):
    """Build the file, write one audit entry for the export, and send it."""
    if export_type == "xlsx":
        body, count = xlsx_bytes(titles, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, count = csv_bytes(titles, rows)
        mimetype = "text/csv; charset=utf-8"
    audit.record(db.session, table, "export", f"{export_type} {count} 行 {note}"[:255])
    db.session.commit()
    name = filename.rsplit(".", 1)[0] + "." + export_type
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
