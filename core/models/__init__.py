"""Core's models; importing this module registers them all on `db.metadata`."""
from .activities import Activity, Attendance
from .audit import AuditEntry
from .bulletins import Bulletin
from .conflicts import IdentityConflict
from .findings import Finding, FindingHit, SweepRun
from .imports import ImportJob
from .indicators import IndicatorRun, IndicatorValue
from .members import Member
from .organizations import Organization
from .outbox import InboxItem, OutboxMessage
from .staff import LoginAttempt, Staff
from .transfers import Transfer
from .units import WorkUnit

__all__ = ["Activity", "Attendance", "AuditEntry", "Bulletin", "Finding", "FindingHit", "IdentityConflict", "ImportJob", "InboxItem", "IndicatorRun", "IndicatorValue", "LoginAttempt",
           "Member", "Organization", "OutboxMessage", "Staff", "SweepRun", "Transfer", "WorkUnit"]
