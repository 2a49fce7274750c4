"""双管's settings and the periods its checks, reminders and demo data agree on."""
import datetime as dt

from core.plugin_api import last_complete_period, parse_period

DEFAULTS = {
    # An in-service member living in a community registers with it within this many days of arriving.
    "unregistered_grace_days": 30,
    # A quarter is looked at for service hours once this many days of it have passed.
    "no_service_grace_days": 30,
    # "year", or "quarter" where the community evaluates quarterly.
    "evaluation_period": "year",
    "evaluation_notice_days": 30,
    # Quarterly feedback to the employer is due this many days after the quarter.
    "feedback_due_days": 15,
    # An employer's opinion request is answered within this many days; remind this many days after receipt.
    "opinion_due_days": 15,
    "opinion_notice_days": 10,
    # The public self-service form: submissions per address per window.
    "signup_limit": 5,
    "signup_window_minutes": 60,
}

# A feedback obligation is one (community, unit) pair; its finding's subject id encodes both.
PAIR_BASE = 1_000_000


def quarter_of(day):
    return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")


def service_window(today, settings):
    """The quarter examined for service hours (the current one once it is `grace` days old, else the one
    before), as (period, start, end exclusive)."""
    quarter = quarter_of(today - dt.timedelta(days=settings["no_service_grace_days"]))
    return quarter, quarter.start, min(quarter.end, today + dt.timedelta(days=1))


def evaluation_due_period(today, settings):
    """The evaluation period that ended most recently."""
    return last_complete_period(settings["evaluation_period"], today)


def feedback_due_quarter(today, settings):
    """The latest quarter whose feedback is due by `today`."""
    return last_complete_period("quarter", today - dt.timedelta(days=settings["feedback_due_days"]))
