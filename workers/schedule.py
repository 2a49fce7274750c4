"""The beat schedule: the sweep daily, each reminder rule on its crontab, each period's indicators an hour before
its bulletins, the outbox flush."""
from celery.schedules import crontab
from flask import current_app

from core import reminders


def from_crontab(text):
    minute, hour, day_of_month, month_of_year, day_of_week = text.split()
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                   day_of_week=day_of_week)


def build():
    """Needs an app context: the rules come from the loaded plugins."""
    config = current_app.config
    schedule = {
        "sweep-city": {"task": "wuguan.sweep_city", "schedule": from_crontab(config["WUGUAN_SWEEP_SCHEDULE"])},
        "flush-outbox": {"task": "wuguan.flush_outbox", "schedule": config["WUGUAN_FLUSH_SECONDS"]},
        "reconcile": {"task": "wuguan.reconcile", "schedule": config["WUGUAN_RECONCILE_SECONDS"]},
        "purge-uploads": {"task": "wuguan.purge_uploads", "schedule": from_crontab("15 * * * *")},
        "indicators-month": {"task": "wuguan.compute_indicators", "schedule": from_crontab("0 5 1 * *"),
                             "args": ("month",)},
        "indicators-quarter": {"task": "wuguan.compute_indicators", "schedule": from_crontab("30 5 1 1,4,7,10 *"),
                               "args": ("quarter",)},
        "indicators-year": {"task": "wuguan.compute_indicators", "schedule": from_crontab("0 6 2 1 *"),
                            "args": ("year",)},
        "bulletins-month": {"task": "wuguan.compile_bulletins", "schedule": from_crontab("0 6 1 * *"),
                            "args": ("month",)},
        "bulletins-quarter": {"task": "wuguan.compile_bulletins", "schedule": from_crontab("30 6 1 1,4,7,10 *"),
                              "args": ("quarter",)},
        "bulletins-year": {"task": "wuguan.compile_bulletins", "schedule": from_crontab("0 7 2 1 *"),
                           "args": ("year",)},
    }
    for item in reminders.registered_rules():
        schedule[f"remind-{item.rule.code}"] = {"task": "wuguan.remind", "schedule": from_crontab(item.rule.schedule),
                                                "args": (item.rule.code,)}
    for name, when in config["WUGUAN_SCHEDULES"].items():
        if name not in schedule:
            raise KeyError(f"WUGUAN_SCHEDULES names {name!r}, which is not a beat entry: {sorted(schedule)}")
        schedule[name]["schedule"] = from_crontab(when) if isinstance(when, str) else float(when)
    return schedule
