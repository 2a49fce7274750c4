"""Masking of 身份证, phone numbers and e-mail addresses for staff without the right to see them in full."""
from flask_login import current_user

from .idcard import mask as mask_id_number


def mask_phone(phone):
    if not phone:
        return phone
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def mask_email(address):
    """The first character of the mailbox and the domain: enough to tell two addresses apart on a list."""
    if not address:
        return address
    local, at, domain = address.strip().rpartition("@")
    return f"{local[:1]}***@{domain}" if at and local else "****"


def sees_sensitive(staff=None):
    staff = current_user if staff is None else staff
    return bool(getattr(staff, "is_authenticated", False) and (staff.role == "admin" or staff.can_see_sensitive))


def id_number(value, staff=None):
    return value if sees_sensitive(staff) else mask_id_number(value)


def phone(value, staff=None):
    return value if sees_sensitive(staff) else mask_phone(value)


def email(value, staff=None):
    return value if sees_sensitive(staff) else mask_email(value)
