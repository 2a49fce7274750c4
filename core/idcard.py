"""身份证 (resident identity card) numbers: what makes one acceptable here.

python-stdnum's `cn.ric.validate` also rejects a region code that did not exist in
the birth year, yet members born before a county was created carry such codes on
real cards (620302 金川区 was created in 1984). So length, date and check digit are
errors; an unknown region is only a warning.
"""
from dataclasses import dataclass
import datetime as dt
import functools

from flask_babel import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from .errors import ValidationError


@dataclass(frozen=True)
class IdCard:
    """A parsed 身份证 number: the normalized number, the birth date and gender it encodes, whether its region is known."""
    number: str
    birth_date: dt.date
    gender: str  # "male" | "female", from the order code's parity
    region_known: bool


def parse(number, field="id_number"):
    """Return the parsed card or raise ValidationError with a message staff can act on."""
    raw = ric.compact(number or "")
    if len(raw) != 18:
        raise ValidationError.single(field, _("身份证号码应为18位，当前为%(n)d位", n=len(raw)))
    if not raw[:17].isdigit() or not (raw[17].isdigit() or raw[17] == "X"):
        raise ValidationError.single(field, _("身份证号码前17位应为数字，末位为数字或X"))
    try:
        birth = ric.get_birth_date(raw)
    except stdnum_errors.ValidationError:
        raise ValidationError.single(field, _("身份证号码中的出生日期 %(d)s 不存在", d=raw[6:14])) from None
    if birth > dt.date.today() or birth.year < 1890:
        raise ValidationError.single(field, _("身份证号码中的出生日期 %(d)s 不合理", d=birth.isoformat()))
    expected = ric.calc_check_digit(raw)
    if raw[17] != expected:
        raise ValidationError.single(field, _("身份证号码校验位错误：末位应为 %(c)s", c=expected))
    region_known = _region_known(raw[:6], birth.year)
    gender = "male" if int(raw[16]) % 2 else "female"
    return IdCard(raw, birth, gender, region_known)


@functools.lru_cache(maxsize=4096)
def _region_known(region, year):
    """python-stdnum's table lookup is the slow part of a check; a roster repeats a few regions."""
    try:
        ric.get_birth_place(f"{region}{year:04d}0101000")
        return True
    except stdnum_errors.ValidationError:
        return False


def make_number(region, birth_date, sequence, gender):
    """A valid number for generated data: sequence 0-499, parity set by gender."""
    order = sequence * 2 + (1 if gender == "male" else 0)
    body = f"{region}{birth_date:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")

