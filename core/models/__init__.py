"""Core's models; importing this module registers them all on `db.metadata`."""
from .activities import Activity, Attendance
from .audit import AuditEntry
from .members import Member
from .organizations import Organization
from .staff import LoginAttempt, Staff
from .transfers import Transfer
from .units import WorkUnit

__all__ = ["Activity", "Attendance", "AuditEntry", "LoginAttempt", "Member", "Organization", "Staff", "Transfer", "WorkUnit"]
