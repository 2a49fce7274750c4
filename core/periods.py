"""Bulletin periods: a month (2026-10), a quarter (2026-Q3) or a year (2026), and the one before."""
from dataclasses import dataclass
import datetime as dt
import re

from flask_babel import gettext as _

from . import rules
from .errors import ValidationError

MIN_YEAR, MAX_YEAR = 1921, 2999  # the Party's founding; beyond, a typo (0000 would crash the date arithmetic)
_PATTERNS = (
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
)


@dataclass(frozen=True)
class Period:
    """A month, quarter or year: `start` inclusive, `end` exclusive; `label` as parsed, `previous()` the one before."""
    kind: str  # "month" | "quarter" | "year"
    start: dt.date
    end: dt.date  # exclusive

    @property
    def label(self):
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def title(self):
        if self.kind == "month":
            return _("%(y)d年%(m)d月", y=self.start.year, m=self.start.month)
        if self.kind == "quarter":
            return _("%(y)d年第%(q)d季度", y=self.start.year, q=(self.start.month - 1) // 3 + 1)
        return _("%(y)d年度", y=self.start.year)

    def previous(self):
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        start = rules.add_months(self.start, -months)
        return Period(self.kind, start, self.start)


def parse(text):
    """A Period from its label (2026-10, 2026-Q3 or 2026); a ValidationError in Chinese otherwise."""
    text = (text or "").strip().upper()
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValidationError.single("period", _("期间的年份应在 %(a)d 至 %(b)d 之间", a=MIN_YEAR, b=MAX_YEAR))
        if kind == "month":
            start, months = dt.date(year, int(match.group(2)), 1), 1
        elif kind == "quarter":
            start, months = dt.date(year, 3 * int(match.group(2)) - 2, 1), 3
        else:
            start, months = dt.date(year, 1, 1), 12
        return Period(kind, start, rules.add_months(start, months))
    raise ValidationError.single("period", _("期间格式应为 2026-10、2026-Q3 或 2026"))


def last_complete(kind, today):
    """The period of `kind` that ended most recently before `today` (what a beat compiles)."""
    if kind == "month":
        return parse(f"{rules.add_months(today.replace(day=1), -1):%Y-%m}")
    if kind == "quarter":
        return parse(f"{today.year}-Q{(today.month - 1) // 3 + 1}").previous()
    return parse(str(today.year - 1))
