"""The value types of the plugin contract; plugin authors import them from `core.plugin_api`."""
from dataclasses import dataclass, field
from typing import Any, Callable

# The version of the plugin contract (hooks, value types, `core.plugin_api`), apart from wuguan's
# own version: a plugin declares the range it supports as `WUGUAN_API = ">=1.0,<2"`. Minor
# versions only add; a major version may remove what the one before deprecated.
API_VERSION = "1.0"

SEVERITIES = ("info", "warning", "serious", "critical")
LEVELS = ("community", "street", "employer", "branch")


@dataclass(frozen=True)
class Mode:
    """A management mode; `categories` maps the member category keys it claims to their titles."""
    key: str
    title: str
    categories: dict
    description: str = ""
    activity_kinds: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Panel:
    """A block on a member's page: a template rendered with `context`, ordered by `order`."""
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class Check:
    """`query(ctx)` returns a Select labelled subject_id, org_id, detail."""
    code: str
    title: str
    severity: str
    query: Callable[[Any], Any]
    description: str = ""
    subject: str = "member"


@dataclass(frozen=True)
class ReminderRule:
    """`query(ctx)` returns a Select labelled recipient, dedup_key, context; `schedule` is a crontab string."""
    code: str
    title: str
    schedule: str
    query: Callable[[Any], Any]
    template: str
    channel: str = "email"


@dataclass(frozen=True)
class BulletinSection:
    """One part of a 通报. `figures` ({name: number}) are compared with the previous period's bulletin."""
    key: str
    title: str
    order: int
    summary: str
    columns: list
    rows: list
    chart: dict | None = None
    figures: dict = field(default_factory=dict)
    indicators: tuple = ()  # indicator keys whose stored figures (previous period, ranks) the section shows


@dataclass(frozen=True)
class Channel:
    """`send(message)` delivers one message and raises on failure, so delivery retries."""
    key: str
    title: str
    send: Callable[[Any], None]


@dataclass(frozen=True)
class Indicator:
    """A figure computed once per period for every scope of the city.

    `query(ctx)` returns ONE grouped Select labelled `scope_id` and either `value` (a count
    or sum) or `numerator` and `denominator` (a rate, shown as 100 × numerator / denominator),
    for every community (or employer, or branch: `ctx.level`) at once; streets and the city
    are summed from the communities' rows, so a rate rolls up pooled, never averaged."""
    key: str
    title: str
    unit: str
    levels: tuple
    query: Callable[[Any], Any]
    higher_is_better: bool = True
    description: str = ""
