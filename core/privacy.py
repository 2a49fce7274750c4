"""Masking of 身份证 and phone numbers for staff without the right to see them in full."""
from flask_login import current_user

from .idcard import mask as mask_id_number


def mask_phone(phone):
    """A phone number with its middle digits hidden (138****1234)."""
    if not phone:
        return phone
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def sees_sensitive(staff=None):
    """Whether `staff` (the logged-in staffer by default) may see sensitive values in full."""
    staff = current_user if staff is None else staff
    return bool(getattr(staff, "is_authenticated", False) and (staff.role == "admin" or staff.can_see_sensitive))


def id_number(value, staff=None):
    """A 身份证 number as `staff` may see it: in full, or masked."""
    return value if sees_sensitive(staff) else mask_id_number(value)


def phone(value, staff=None):
    """A phone number as `staff` may see it: in full, or masked."""
    return value if sees_sensitive(staff) else mask_phone(value)
