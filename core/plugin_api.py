"""Everything a plugin author imports: `from core.plugin_api import hookimpl, Mode, ...`.

The names here are the public contract; they only grow, by optional fields.
"""
import pluggy

from .admin.scoped import ScopedModelView
from .bulk import insert_rows
from .contract import SEVERITIES, BulletinSection, Channel, Check, Mode, Panel, ReminderRule
from .extensions import db
from .contract import LEVELS, Indicator

hookimpl = pluggy.HookimplMarker("wuguan")

__all__ = ["hookimpl", "db", "ScopedModelView", "Mode", "Panel", "Check", "ReminderRule", "BulletinSection",
           "Channel", "SEVERITIES", "insert_rows",
           "Indicator", "LEVELS"]
