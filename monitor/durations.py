"""Durations as people write them in the config: "45s", "30m", "6h", "1d".

One definition of the syntax and its units, used by `[alerts] give_up_after`
(monitor.validators.duration) and by interval schedules (monitor.schedule).
Each caller keeps its own rule on top: a schedule wants a whole number and a
unit ("30m"), a timeout also takes plain seconds and fractions ("1.5h", 90).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400}
"""Seconds per unit; a unit is one letter, either case."""

MAX_SECONDS = 365 * 86400
"""The longest duration any key takes (a schedule, a timeout, give_up_after):
longer ones are typos, and would overflow date arithmetic far enough out."""

_PATTERN = re.compile(r"^\s*(\d+)(?:\.(\d+))?\s*([smhdSMHD]?)\s*$")


@dataclass(frozen=True)
class WrittenDuration:
    """A duration as written: its number and its unit ("" when none)."""

    amount: int | float  # an int when written without a fraction
    unit: str

    @property
    def whole(self) -> bool:
        return isinstance(self.amount, int)

    @property
    def seconds(self) -> int | float:
        """Seconds (an int for a whole amount); a number without a unit counts as seconds."""
        return self.amount * UNITS[self.unit or "s"]


def read_duration(text: str) -> WrittenDuration | None:
    """The parts of "30m", "1.5h", " 90 " (spaces allowed around both parts), or None if `text` is not one."""
    match = _PATTERN.match(text)
    if match is None:
        return None
    whole, fraction, unit = match.groups()
    amount = int(whole) if fraction is None else float(f"{whole}.{fraction}")
    return WrittenDuration(amount=amount, unit=unit.lower())
