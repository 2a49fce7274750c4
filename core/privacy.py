"""What an account may see of a personal value: declared once on the model, decided once here.

A column holding personal data says so where it is defined:
`mapped_column(String(32), info=sensitive("phone"))`. `reveal` is the one decision: the
value in full for administrators and staff granted the right, otherwise the mask of its
kind. Every exit asks it — admin lists, details, edit forms, exports, search, member
panels, the 协管 ledger, reminder bodies as shown on screens — and the audit log keeps
only `fingerprint`s.

A forgotten declaration fails closed: a column whose name says it holds a 身份证, a phone,
an e-mail or an address but that declares nothing is masked as that kind; a column that
only looks personal (an organization's office phone) declares `sensitive(None)`.

The masks are chosen together so that nothing shown side by side rebuilds a number: a
身份证 keeps only its last four characters and the birth date shows only the age, since
the birth date is eight of the card's digits. Search without the right matches a value
whole or by exactly the part shown, never by a prefix of the hidden part.
"""
import datetime as dt
import functools
import hashlib
import hmac
import re

from flask import current_app, has_request_context
from flask_babel import gettext as _
from sqlalchemy import inspect, or_

KINDS = ("id_number", "phone", "email", "address", "birth_date", "text", "secret")
SHOWN_TAIL = 4  # the characters of a 身份证 or phone a masked value keeps, and search may match

_GUESSES = (("id_number", re.compile(r"(^|_)(id_number|id_card|idcard|id_no)($|_)")),
            ("phone", re.compile(r"(^|_)(phone|mobile|tel)($|_)")),
            ("email", re.compile(r"(^|_)e?mail($|_)")),
            ("address", re.compile(r"(^|_)address($|_)")))
_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
# An address quoted after its label, and a full date (a birthday beside an age gives the birth date).
_ADDRESS_IN_TEXT = re.compile(r"((?:住址|地址)[：:]\s*)([^\n]+)")
_DATE_IN_TEXT = re.compile(r"(?<![0-9])[12][0-9]{3}-[01]?[0-9]-[0-3]?[0-9](?![0-9])")


def sensitive(kind):
    """The `info` of a column holding personal data of `kind` (one of KINDS), or None for a
    column whose name looks personal but whose value is public."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown sensitive kind {kind!r}; one of {', '.join(KINDS)}")
    return {"sensitive": kind}


def sees_sensitive(staff=None):
    """Administrators and staff granted `can_see_sensitive`; nobody outside a request unless named."""
    if staff is None:
        if not has_request_context():
            return False
        from flask_login import current_user
        staff = current_user
    return bool(getattr(staff, "is_authenticated", False) and (staff.role == "admin" or staff.can_see_sensitive))


def kind_of(column):
    """The declared kind of a Column, or the kind its name suggests when it declares nothing."""
    if hasattr(column, "property"):  # a mapped attribute, Member.phone
        column = column.property.columns[0]
    if "sensitive" in column.info:
        return column.info["sensitive"]
    for kind, pattern in _GUESSES:
        if pattern.search(column.key or ""):
            return kind
    return None


@functools.cache
def columns(model):
    """{attribute name: kind} of a mapped model's personal columns."""
    mapper = inspect(model)
    found = {}
    for attr in mapper.column_attrs:
        kind = kind_of(attr.columns[0])
        if kind:
            found[attr.key] = kind
    return found


def reveal(value, kind, staff=None):
    """The one decision: what `staff` (default: the current user) may see of `value` of `kind`."""
    if value is None or value == "" or kind is None or sees_sensitive(staff):
        return value
    return mask(value, kind)


def mask(value, kind):
    if value is None or value == "":
        return value
    if kind == "birth_date":
        return _("%(n)d岁", n=age(value)) if isinstance(value, dt.date) else "***"
    text = str(value).strip()
    if kind == "id_number":
        return "*" * max(len(text) - SHOWN_TAIL, 4) + text[-SHOWN_TAIL:] if len(text) > SHOWN_TAIL else "****"
    if kind == "phone":
        return text[:3] + "****" + text[-SHOWN_TAIL:] if len(text) >= 8 else "****"
    if kind == "email":
        user, at, domain = text.partition("@")
        return (user[:1] + "***" + at + domain) if at else "***"
    if kind == "address":
        return text[:6] + "***" if len(text) > 6 else "***"
    if kind == "text":
        text = _ID_IN_TEXT.sub(lambda m: mask(m.group(0), "id_number"), text)
        text = _PHONE_IN_TEXT.sub(lambda m: mask(m.group(0), "phone"), text)
        text = _ADDRESS_IN_TEXT.sub(lambda m: m.group(1) + mask(m.group(2), "address"), text)
        return _DATE_IN_TEXT.sub("****-**-**", text)
    return "***"


def mask_id_numbers(text):
    """`text` with every 身份证 in it masked, for what leaves the system as free text (an SMS)."""
    return _ID_IN_TEXT.sub(lambda m: mask(m.group(0), "id_number"), text)


def age(born, on=None):
    on = on or dt.date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def reveal_attr(obj, name, staff=None):
    """An attribute of a mapped object as `staff` may see it, by the model's declaration."""
    return reveal(getattr(obj, name), columns(type(obj)).get(name), staff)


def matches(column, kind, term, staff=None):
    """A search clause on a personal column. With the right, a prefix; without it, the whole
    value or exactly the shown last four characters, so a search never confirms a guess at
    the hidden part one digit at a time."""
    if sees_sensitive(staff):
        return column.startswith(term, autoescape=True)
    if kind in ("id_number", "phone") and len(term) == SHOWN_TAIL:
        return or_(column == term, column.endswith(term, autoescape=True))
    return column == term


def fingerprint(value):
    """What the audit log keeps of a personal value: equal values give equal fingerprints,
    so a change is visible, yet the log never holds the value."""
    if value is None or value == "":
        return value
    key = current_app.config["SECRET_KEY"]
    digest = hmac.new(key.encode() if isinstance(key, str) else key, str(value).encode(), hashlib.sha256)
    return "指纹:" + digest.hexdigest()[:16]


class Shown:
    """A mapped object as a template may see it: declared personal attributes pass through
    `reveal`, related objects are wrapped in turn. For panels and user-editable layouts,
    which cannot be trusted to remember a filter."""

    __slots__ = ("_obj", "_staff")

    def __init__(self, obj, staff=None):
        self._obj, self._staff = obj, staff

    def __getattr__(self, name):
        kind = columns(type(self._obj)).get(name)
        value = getattr(self._obj, name)
        if kind:
            return reveal(value, kind, self._staff)
        return shown(value, self._staff)

    def __str__(self):
        return str(self._obj)

    def __eq__(self, other):
        return self._obj == (other._obj if isinstance(other, Shown) else other)

    def __hash__(self):
        return hash(self._obj)

    def __bool__(self):
        return True


def shown(value, staff=None):
    """`value`, with any mapped object in it (alone, in a list or in a dict) wrapped in `Shown`."""
    if hasattr(value, "_sa_instance_state"):
        return Shown(value, staff)
    if isinstance(value, list) or type(value) is tuple:
        return [shown(v, staff) for v in value]
    if isinstance(value, dict):
        return {k: shown(v, staff) for k, v in value.items()}
    return value
