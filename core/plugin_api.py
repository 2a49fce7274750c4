"""Everything a plugin imports from wuguan: `from core.plugin_api import hookimpl, Member, ...`.

The five built-in plugins and the example use nothing else (import-linter's contracts in
pyproject.toml fail CI otherwise), so this surface is enough for a mode by construction.
The names are the public contract at `API_VERSION`; they only grow, additively.
`wuguan docs` writes each name with its docstring (or the comment on its import line)
into docs/reference.md. Tests use the `pytest11` fixtures of core.testing instead.
"""
import pluggy

# -- the contract: hook implementations and the values hooks return ------------------------------
from .contract import API_VERSION  # the version of this surface; a plugin declares the range it supports (WUGUAN_API)
from .contract import SEVERITIES  # the severities a Check may have, lowest first
from .contract import BulletinSection, Channel, Check, Mode, Panel, ReminderRule

# -- the database and core's models a plugin reads or links to ------------------------------------
from .extensions import db  # Flask-SQLAlchemy: db.Model for a plugin's models, db.session, db.select
from .models import Activity, Attendance, Bulletin, Finding, Member, Organization, OutboxMessage, Staff, Transfer, WorkUnit
from .models.base import Audited, Timestamps, utcnow
from .models.members import CHANNELS as MEMBER_CHANNELS  # Member.preferred_channel: key -> title
from .models.members import EDUCATIONS  # Member.education: key -> title
from .models.members import GENDERS  # Member.gender: key -> title
from .models.members import STATES as MEMBER_STATES  # Member.state: key -> title; only "active" members are swept
from .models.members import STATUSES as MEMBER_STATUSES  # Member.status: probationary or full member
from .models.organizations import KINDS as ORGANIZATION_KINDS  # Organization.kind: key -> title

# -- errors ---------------------------------------------------------------------------------------
from .errors import ValidationError

# -- the Party's rules and dates -------------------------------------------------------------------
from .idcard import IdCard, make_number as make_id_number, parse as parse_id_number
from .periods import Period, last_complete as last_complete_period, parse as parse_period
from .rules import DEFAULTS as RULES  # core's rule settings (days, months) and their defaults
from .rules import add_months, probation_ends_on, transfer_valid_until

# -- queries and bulk writes ------------------------------------------------------------------------
from .bulk import insert_rows
from .checks import sql_message
from .contract import LEVELS  # the levels an indicator applies to: community, street, employer, branch
from .contract import Indicator

# -- personal data: declared on the model, decided in one place -----------------------------------
from .privacy import sensitive  # a column's `info` declaring its personal kind: info=sensitive("phone")
from .privacy import reveal  # what the current staffer may see of a value of a kind
from .privacy import shown  # mapped objects wrapped so templates see declared columns as the staffer may
from .privacy import sees_sensitive  # whether a staffer may see personal values in full
from .privacy import mask  # the mask of a value of a kind, whoever asks
from .privacy import matches as sensitive_matches  # a search clause on a personal column that is no oracle

# -- identity questions and scope-keeping writes ----------------------------------------------------
from .identity import linkable as identity_linkable, normalized as normalized_id_number
from .identity import refer as refer_identity, refer_all as refer_identities
from .identity import refusal as identity_refusal  # the one sentence every identity refusal gives, naming nobody

# -- admin screens and scope ------------------------------------------------------------------------
from .admin.scoped import ScopedModelView, StaffOnly, visible
from .admin.views.labels import choice_formatter, choice_list
from .scope import clause as scope_clause
from .scope import MEMBER_ORG_COLUMNS  # the Member columns that place a member in the tree (所属, 所在)
from .scope import holds_member, orgs_inside

# -- spreadsheet imports (core's member roster, and importers built on it) --------------------------
from .admin.views.imports import ImportView, UploadForm
from .roster import COLUMNS as ROSTER_COLUMNS  # the member roster's columns: field -> (header, other headers)
from .roster import PROGRESS_EVERY  # an importer reports progress every this many rows
from .roster import ImportRefused, Report as ImportReport, RowError
from .roster import cell_text, header_fields, parse_date as parse_cell_date, read_table, record_import
from .roster import error_report_xlsx as import_error_report_xlsx, template_xlsx as import_template_xlsx
from .cli import run_import

# -- documents and messages ----------------------------------------------------------------------------
from .pdf import new_pdf
from .reminders import enqueue_rows, member_address, sending_time, template_environment
from .spreadsheet import Book, csv_bytes, safe_cell, xlsx_bytes
from .ids import parse as parse_id

# -- the running plugins ----------------------------------------------------------------------------
from .plugins import host as plugin_host

hookimpl = pluggy.HookimplMarker("wuguan")  # marks a plugin's function as the implementation of a hook

__all__ = [
    "API_VERSION", "hookimpl",
    "SEVERITIES", "BulletinSection", "Channel", "Check", "Mode", "Panel", "ReminderRule", "Indicator", "LEVELS",
    "db", "Activity", "Attendance", "Bulletin", "Finding", "Member", "Organization", "OutboxMessage", "Staff",
    "Transfer", "WorkUnit", "Audited", "Timestamps", "utcnow",
    "EDUCATIONS", "GENDERS", "MEMBER_CHANNELS", "MEMBER_STATES", "MEMBER_STATUSES", "ORGANIZATION_KINDS",
    "ValidationError",
    "IdCard", "make_id_number", "parse_id_number", "Period", "last_complete_period", "parse_period",
    "RULES", "add_months", "probation_ends_on", "transfer_valid_until",
    "insert_rows", "sql_message",
    "sensitive", "reveal", "shown", "sees_sensitive", "mask", "sensitive_matches",
    "identity_linkable", "normalized_id_number", "refer_identity", "refer_identities", "identity_refusal",
    "ScopedModelView", "StaffOnly", "visible", "choice_formatter", "choice_list", "scope_clause",
    "MEMBER_ORG_COLUMNS", "holds_member", "orgs_inside",
    "ImportView", "UploadForm", "ROSTER_COLUMNS", "PROGRESS_EVERY", "ImportRefused", "ImportReport", "RowError",
    "cell_text", "header_fields", "parse_cell_date", "read_table", "record_import", "import_error_report_xlsx",
    "import_template_xlsx", "run_import",
    "new_pdf", "enqueue_rows", "member_address", "sending_time", "template_environment",
    "Book", "csv_bytes", "safe_cell", "xlsx_bytes", "parse_id",
    "plugin_host",
]
