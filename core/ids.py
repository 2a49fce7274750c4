"""Record ids from URLs and forms, parsed with the bounds of the column they will be compared with.

PostgreSQL refuses to compare an `integer` column with 99999999999999999999999 (an error,
hence a 500 page); SQLite quietly finds nothing. Out of range is "no such record" on both:
`parse` returns None, and the URL converter does not match (404).
"""
from sqlalchemy import BigInteger, Integer, SmallInteger
from werkzeug.routing import IntegerConverter

INT4_MAX = 2**31 - 1
_LIMITS = ((SmallInteger, 2**15 - 1), (BigInteger, 2**63 - 1), (Integer, INT4_MAX))


def parse(value, column):
    """`value` (text from a request) as a key of `column`, or None when it cannot be one."""
    try:
        key = column.type.python_type(value)
    except (TypeError, ValueError, NotImplementedError):
        return None
    if isinstance(key, int) and not isinstance(key, bool):
        limit = next((top for kind, top in _LIMITS if isinstance(column.type, kind)), INT4_MAX)
        if not -limit - 1 <= key <= limit:
            return None
    return key


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: at most an int4 unless the route says otherwise (`max=`)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT4_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
