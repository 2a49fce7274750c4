"""core.xlsx reads a worksheet's values as openpyxl's read-only mode does (data_only)."""
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from core import xlsx


def saved(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def every_kind(write_only=False):
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("名册") if write_only else book.active
    sheet.append(["姓名", "日期", "数", "浮点", "布尔", "公式", "时刻", None, "尾"])
    sheet.append(["张三", dt.date(2016, 2, 26), 42, 3.5, True, '=HYPERLINK("http://x","王")',
                  dt.datetime(2020, 1, 2, 3, 4, 5), None, " 空格 "])
    sheet.append([])
    sheet.append([None, None, 620302196204090011, "#N/A", False])
    if not write_only:
        sheet["A3"] = CellRichText(["王", TextBlock(InlineFont(b=True), "建国")])
        sheet["B6"] = dt.time(3, 4)
        sheet["A8"] = 43000
        sheet["A8"].number_format = "yyyy-mm-dd"
        sheet["B8"] = 1e12  # no date: openpyxl gives #VALUE!
        sheet["B8"].number_format = "yyyy-mm-dd"
    book.create_sheet("第二页").append(["not read"])
    return saved(book)


def ours(data):
    return [(n, trimmed(r)) for n, r in xlsx.rows(zipfile.ZipFile(io.BytesIO(data)))]


def openpyxls(data):
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    rows = [(n, trimmed(r)) for n, r in enumerate(sheet.iter_rows(values_only=True), 1)]
    while rows and not rows[-1][1]:
        rows.pop()
    return rows


def trimmed(row):
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


@pytest.mark.filterwarnings("ignore:Cell B8 is marked as a date")
@pytest.mark.parametrize("data", [every_kind(), every_kind(write_only=True)], ids=["shared strings", "inline"])
def test_the_same_values_as_openpyxl(data):
    assert ours(data) == openpyxls(data)


def test_rows_counted_for_a_progress_bar():
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for n in range(3):
        sheet.append([n])
    assert xlsx.count_rows(zipfile.ZipFile(io.BytesIO(saved(book)))) == 3


def test_dates_of_the_1904_calendar():
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active.append([dt.date(2001, 1, 1), 5])
    assert ours(saved(book)) == [(1, [dt.datetime(2001, 1, 1), 5])]


def test_a_dtd_is_refused():
    data = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(every_kind())) as source, zipfile.ZipFile(data, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "xl/workbook.xml":
                body = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + body
            target.writestr(item, body)
    with pytest.raises(xlsx.Unreadable):
        list(xlsx.rows(zipfile.ZipFile(data)))
