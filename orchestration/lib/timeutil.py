"""Times in the landing zone: naive values are local time in England (Europe/London)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def to_utc(value: dt.datetime) -> dt.datetime:
    """An instant in UTC. A naive local time that occurs twice (autumn) is the first occurrence
    (fold=0); one that does not exist (spring) resolves with the offset before the change, which
    moves it forward by the gap - both as the contract says."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON, fold=0)
    return value.astimezone(dt.UTC)


def parse_local_datetime(text: str | None) -> dt.datetime | None:
    """ISO 8601 date-time (or date) text to a UTC instant; None if blank or not a date-time."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    return to_utc(parsed)
