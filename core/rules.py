"""The Party's rules as numbers, each a setting (see DESIGN: "Rules that the checks encode").

They live here so a city can change one number without touching a check: a deployment sets
it in the instance's `plugins.toml` under `[core]` (or an app in `create_app({"RULES": ...})`),
and `configured` merges what was set with the defaults key by key.
"""
import datetime as dt

DEFAULTS = {
    # 组织关系介绍信: ~10 days within the city, 30 days outside, 3 months at most.
    "transfer_valid_days_local": 10,
    "transfer_valid_days_outside": 30,
    "transfer_valid_days_max": 90,
    # 预备期: a year, extendable once by 6-12 months; remind 30 days before.
    "probation_months": 12,
    "probation_extension_min_months": 6,
    "probation_extension_max_months": 12,
    "probation_notice_days": 30,
    # 自行脱党 after 6 months without organizational life, dues or work; warn at 3 and 5.
    "lapse_warn_months": (3, 5),
    "lapse_months": 6,
    # Mobile members at a fixed place this long move their relationship.
    "mobile_settle_months": 6,
}


class RulesError(ValueError):
    """A rule that does not exist, or a value of the wrong type: start-up stops, naming the key,
    rather than a check failing later with a KeyError or comparing a date with a string."""


def defaults():
    return dict(DEFAULTS)


def configured(given):
    """The defaults, with each rule in `given` validated and put in place of its default."""
    merged = defaults()
    for key, value in (given or {}).items():
        if key not in DEFAULTS:
            raise RulesError(f"core has no rule {key!r} (it has: {', '.join(sorted(DEFAULTS))})")
        default = DEFAULTS[key]
        if isinstance(default, tuple):  # TOML has arrays, not tuples
            if not isinstance(value, (list, tuple)) or len(value) != len(default) \
                    or not all(_same_type(v, d) for v, d in zip(value, default)):
                raise RulesError(f"core rule {key!r} must be a list of {len(default)} "
                                 f"{type(default[0]).__name__}, like {list(default)}, not {value!r}")
            value = tuple(value)
        elif not _same_type(value, default):
            raise RulesError(f"core rule {key!r} must be {type(default).__name__}, "
                             f"not {type(value).__name__} ({value!r})")
        merged[key] = value
    return merged


def _same_type(value, default):
    return isinstance(value, type(default)) and isinstance(value, bool) == isinstance(default, bool)


def add_months(day, months):
    """Calendar months, clamped to the month's last day (2024-02-29 + 12 months = 2025-02-28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def transfer_valid_until(issued_on, within_city, rules=DEFAULTS):
    """The last valid day of a transfer letter issued on `issued_on`, within the city or outside."""
    days = rules["transfer_valid_days_local"] if within_city else rules["transfer_valid_days_outside"]
    return issued_on + dt.timedelta(days=min(days, rules["transfer_valid_days_max"]))


def probation_ends_on(joined_on, extension_months=0, rules=DEFAULTS):
    """The last day of the 预备期 that began on `joined_on`, extended by `extension_months`."""
    return add_months(joined_on, rules["probation_months"] + (extension_months or 0))
