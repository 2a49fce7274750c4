"""The first worksheet of an .xlsx file as a stream of rows of values, read once and fast.

openpyxl's read-only mode builds an object per cell and, for a sheet written without a
<dimension> (openpyxl's own write-only files among them), parses the whole sheet once
more only to size it: two thirds of a 100,000-row roster import went there. This reads
the sheet once with expat and gives the values openpyxl gives with `data_only=True`:
shared and inline strings, numbers, booleans, error codes, the cached values of formulas
(never evaluated), and dates wherever the cell's number format is a date format.
"""
import posixpath
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BLOCK = 1 << 16


class Unreadable(ValueError):
    """The archive is not a workbook this reader understands."""


def rows(archive):
    """(row number, [values]) for every row of the first worksheet, rows missing from the file
    included as empty lists (a sheet's numbering is what staff see)."""
    sheet, strings_path, styles_path, epoch = _workbook(archive)
    strings = _shared_strings(archive, strings_path) if strings_path else []
    dates = _date_styles(archive, styles_path) if styles_path else {}
    reader = _SheetReader(strings, dates, epoch)
    with archive.open(sheet) as stream:
        while block := stream.read(BLOCK):
            yield from reader.feed(block)
        yield from reader.feed(b"", final=True)


def count_rows(archive):
    """About how many rows the first worksheet has, for a progress bar, without parsing it."""
    sheet = _workbook(archive)[0]
    count = 0
    with archive.open(sheet) as stream:
        while block := stream.read(BLOCK):
            count += block.count(b"<row ") + block.count(b":row ")
    return count


def _parser(start=None, end=None, text=None):
    """An expat parser with namespaces reduced to local names, refusing DTDs (no entity tricks)."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def refuse(*args):
        raise Unreadable("DTD in a workbook part")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    if start:
        parser.StartElementHandler = lambda name, attrs: start(name.rpartition("}")[2], attrs)
    if end:
        parser.EndElementHandler = lambda name: end(name.rpartition("}")[2])
    if text:
        parser.CharacterDataHandler = text
    return parser


def _parse(archive, path, start=None, end=None, text=None):
    parser = _parser(start, end, text)
    with archive.open(path) as stream:
        try:
            parser.ParseFile(stream)
        except expat.ExpatError as exc:
            raise Unreadable(f"{path}: {exc}") from None


def _workbook(archive):
    """The first worksheet's part, the shared strings' and styles' parts, and the date epoch."""
    sheets, epoch = [], [CALENDAR_WINDOWS_1900]

    def on_workbook(name, attrs):
        if name == "sheet":
            sheets.append(attrs.get(f"{RELATIONSHIP}}}id"))
        elif name == "workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904
    _parse(archive, "xl/workbook.xml", on_workbook)
    targets = {}

    def on_relationship(name, attrs):
        if name == "Relationship":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            targets[attrs.get("Id")] = (attrs.get("Type", "").rpartition("/")[2], path)
    _parse(archive, "xl/_rels/workbook.xml.rels", on_relationship)
    by_type = {kind: path for kind, path in reversed(list(targets.values()))}
    worksheets = [targets[rid][1] for rid in sheets if targets.get(rid, ("",))[0] == "worksheet"]
    if not worksheets:
        raise Unreadable("no worksheet")
    return worksheets[0], by_type.get("sharedStrings"), by_type.get("styles"), epoch[0]


def _shared_strings(archive, path):
    """Each <si>'s text: its <t>, or its runs' <t>s, leaving out phonetic guides (<rPh>)."""
    strings, parts, state = [], [], {"in_t": False, "phonetic": 0}

    def start(name, attrs):
        if name == "t" and not state["phonetic"]:
            state["in_t"] = True
        elif name == "rPh":
            state["phonetic"] += 1

    def end(name):
        if name == "t":
            state["in_t"] = False
        elif name == "rPh":
            state["phonetic"] -= 1
        elif name == "si":
            strings.append("".join(parts))
            parts.clear()

    def text(data):
        if state["in_t"]:
            parts.append(data)
    _parse(archive, path, start, end, text)
    return strings


def _date_styles(archive, path):
    """{cell style index: True for a duration format, False for a date} of the date-formatted styles."""
    custom, formats, state = {}, [], {"cell_xfs": False}

    def start(name, attrs):
        if name == "numFmt":
            custom[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            state["cell_xfs"] = True
        elif name == "xf" and state["cell_xfs"]:
            formats.append(int(attrs.get("numFmtId", 0)))

    def end(name):
        if name == "cellXfs":
            state["cell_xfs"] = False
    _parse(archive, path, start, end)
    dates = {}
    for index, number_format in enumerate(formats):
        code = custom.get(number_format, BUILTIN_FORMATS.get(number_format))
        if code and is_date_format(code):
            dates[index] = is_timedelta_format(code)
    return dates


class _SheetReader:
    """Turns the sheet's XML, fed a block at a time, into finished rows."""

    def __init__(self, strings, dates, epoch):
        self.strings, self.dates, self.epoch = strings, dates, epoch
        self.done, self.row, self.number = [], None, 0
        self.ref = self.kind = self.style = self.raw = self.parts = None
        self.inline = False
        self.parser = _parser(self.start, self.end, self.text)

    def feed(self, block, final=False):
        try:
            self.parser.Parse(block, final)
        except expat.ExpatError as exc:
            raise Unreadable(f"worksheet: {exc}") from None
        done, self.done = self.done, []
        return done

    def start(self, name, attrs):
        if name == "c":
            self.ref, self.kind, self.style = attrs.get("r"), attrs.get("t", "n"), attrs.get("s")
            self.raw, self.inline = None, False
        elif name == "v" or (name == "t" and self.inline):
            self.parts = []
        elif name == "is":
            self.inline = True
        elif name == "rPh":
            self.inline = False  # a phonetic guide inside an inline string is not its text
        elif name == "row":
            number = int(attrs.get("r") or self.number + 1)
            self.done.extend((n, []) for n in range(self.number + 1, number))
            self.row, self.number = [], number

    def text(self, data):
        if self.parts is not None:
            self.parts.append(data)

    def end(self, name):
        if name == "v" or (name == "t" and self.parts is not None):
            self.raw = (self.raw or "") + "".join(self.parts)
            self.parts = None
        elif name == "c":
            if self.ref:
                column = column_index_from_string(self.ref.rstrip("0123456789")) - 1
                self.row.extend([None] * (column - len(self.row)))
            self.row.append(self.value())
        elif name == "row":
            self.done.append((self.number, self.row))
            self.row = None

    def value(self):
        raw, kind = self.raw, self.kind
        if kind == "inlineStr":
            return raw
        if not raw:
            return None
        if kind == "s":
            return self.strings[int(raw)]
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw in ("1", "true")
        if kind == "d":
            return from_ISO8601(raw)
        number = float(raw) if any(c in raw for c in ".Ee") else int(raw)
        if self.style is not None and int(self.style) in self.dates:
            try:
                return from_excel(number, self.epoch, timedelta=self.dates[int(self.style)])
            except (OverflowError, ValueError):
                return "#VALUE!"  # a date out of range: what openpyxl gives, and the row's check then reports it
        return number
