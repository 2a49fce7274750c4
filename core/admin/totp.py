"""The optional TOTP second factor (RFC 6238, as in any authenticator app), and who must use it.

`WUGUAN_TOTP_REQUIRED` lists who may not work without it: `all`, `sensitive` (accounts that may
see full numbers), or role keys (`admin`, `street`, ...); such a staffer is sent to enrolment
right after log-in and sees nothing else until enrolled. A code is accepted once: the step it
belongs to is kept, and an earlier or equal step is refused, so a code read over a shoulder
cannot be replayed. The secret stays in the database (never in the audit log or the cookie).
"""
import hmac
import time

import pyotp
import segno

from ..models.base import utcnow
from ..models.staff import ROLES

ISSUER = "wuguan"
TOKENS = {"all", "sensitive", *ROLES}


def _now():
    return time.time()


def check_setting(required):
    unknown = sorted(set(required) - TOKENS)
    if unknown:
        raise ValueError(f"WUGUAN_TOTP_REQUIRED: unknown {', '.join(unknown)}; use all, sensitive or a role "
                         f"({', '.join(ROLES)})")


def required(staff, setting):
    return bool(setting) and ("all" in setting or staff.role in setting
                              or ("sensitive" in setting and (staff.role == "admin" or staff.can_see_sensitive)))


def must_enrol(staff, setting):
    return not staff.totp_enrolled and required(staff, setting)


def pending_secret(staff):
    """The secret being enrolled, made once so that reloading the page keeps the same QR code; the caller commits."""
    if staff.totp_secret is None:
        staff.totp_secret = pyotp.random_base32()
    return staff.totp_secret


def provisioning_uri(staff):
    return pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)


def qr_data_uri(staff):
    return segno.make(provisioning_uri(staff), error="m").svg_data_uri(scale=5)


def _matching_step(secret, code, last_step):
    """The time step `code` belongs to (this one or a neighbour, for clock drift), if it is newer than `last_step`."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp, now = pyotp.TOTP(secret), _now()
    for offset in (0, -1, 1):
        step = totp.timecode(now) + offset
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm(staff, code):
    """Finish enrolment with a code from the app; the caller commits."""
    step = _matching_step(staff.totp_secret, code, None) if staff.totp_secret else None
    if step is None:
        return False
    staff.totp_confirmed_at, staff.totp_last_step = utcnow(), step
    return True


def verify(staff, code):
    """A log-in code; the caller commits (the step used is kept)."""
    step = _matching_step(staff.totp_secret, code, staff.totp_last_step) if staff.totp_enrolled else None
    if step is None:
        return False
    staff.totp_last_step = step
    return True


def reset(staff):
    staff.totp_secret = staff.totp_confirmed_at = staff.totp_last_step = None
