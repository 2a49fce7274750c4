"""List exports as a download, each one audited; the files come from core.spreadsheet, which escapes formulas."""
from urllib.parse import quote

from flask import Response

from .. import audit
from ..extensions import db
from ..spreadsheet import XLSX_MIMETYPE, csv_bytes, xlsx_bytes


def response(filename, export_type, titles, rows, table, note=""):
    """Build the file, write one audit entry for the export, and send it."""
    if export_type == "xlsx":
        body, count = xlsx_bytes(titles, rows)
        mimetype = XLSX_MIMETYPE
    else:
        body, count = csv_bytes(titles, rows)
        mimetype = "text/csv; charset=utf-8"
    audit.record(db.session, table, "export", f"{export_type} {count} 行 {note}"[:255])
    db.session.commit()
    name = filename.rsplit(".", 1)[0] + "." + export_type
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
