"""Errors that carry a message for staff, in their language, per field."""


class ValidationError(ValueError):
    """Bad input: nothing is saved. `errors` maps a field name to its messages."""

    def __init__(self, errors):
        self.errors = {field: list(msgs) for field, msgs in errors.items() if msgs}
        super().__init__("; ".join(f"{f}: {m}" for f, ms in self.errors.items() for m in ms))

    @classmethod
    def single(cls, field, message):
        return cls({field: [message]})


class PluginConflictError(RuntimeError):
    """Two loaded modes claim one category: start-up stops, whatever the strictness."""
