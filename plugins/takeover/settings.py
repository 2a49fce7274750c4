"""接管's thresholds; operators override them under app.config["PLUGINS"]["takeover"]."""

DEFAULTS = {
    "assign_within_days": 30,       # takeover.not_assigned: days after the relationship arrived
    "assign_remind_days": 7,        # takeover.assign_due: remind the community this many days after arrival
    "pocket_months": 6,             # takeover.pocket_member: months without organizational life
    "five_ones_midyear": "06-30",   # takeover.five_ones_behind: the mid-year date (MM-DD) ...
    "five_ones_midyear_min": 2,     # ... and how many of the five must be done by then
    "reclassify_within_days": 30,   # takeover.employed_not_reclassified: days after a hire
}
