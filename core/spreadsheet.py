"""Every spreadsheet wuguan writes (XLSX or CSV) is written here, so no cell becomes a formula.

A cell that begins with = + - @ (or a tab or carriage return) is prefixed with an
apostrophe, so a name like "=HYPERLINK(...)" arrives as text, not as a formula. Writers
get a `Book` whose sheets only take rows through `append`, which escapes every value;
no other module creates an openpyxl workbook or a csv writer (tests/test_spreadsheet.py
holds that line), so a new export cannot forget.
"""
import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a spreadsheet should hold it: numbers and dates as they are, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class Sheet:
    """One worksheet of a `Book`: rows go in through `append`, styled cells through `cell`."""

    def __init__(self, worksheet):
        self._worksheet = worksheet

    def cell(self, value, font=None, fill=None, comment=None):
        """A styled cell for `append`, its value escaped."""
        cell = WriteOnlyCell(self._worksheet, value=safe_cell(value))
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if comment is not None:
            cell.comment = comment
        return cell

    def append(self, values, font=None):
        """Add a row; plain values are escaped, cells from `cell` already are; `font` styles the whole row."""
        self._worksheet.append([value if _is_cell(value) else self.cell(value, font=font) if font else safe_cell(value)
                                for value in values])


def _is_cell(value):
    return hasattr(value, "coordinate") and hasattr(value, "font")


class Book:
    """A streamed (write-only) XLSX workbook."""

    def __init__(self):
        self._book = Workbook(write_only=True)

    def sheet(self, title):
        """A new worksheet; `title` is cut to Excel's rules (31 characters, none of []:*?/\\)."""
        title = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or f"Sheet{len(self._book.worksheets) + 1}"
        return Sheet(self._book.create_sheet(title))

    def bytes(self):
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()


def xlsx_bytes(titles, rows, sheet="导出"):
    """A one-sheet table and the number of data rows it holds."""
    book = Book()
    ws = book.sheet(sheet)
    ws.append(titles)
    count = 0
    for row in rows:
        ws.append(row)
        count += 1
    return book.bytes(), count


def csv_bytes(titles, rows):
    """The same table as CSV, UTF-8 with a BOM so that Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(v) for v in titles])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        count += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), count
