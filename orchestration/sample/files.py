"""File names and submission times of returns, as trusts produce them."""

from __future__ import annotations

import datetime as dt
import random

from orchestration.sample.mess import LONDON, short_name, title_name
from orchestration.sample.participation import collection_window
from orchestration.sample.register import Organisation

STEMS = (
    "{code} LDIS {cycle} organisational return",
    "{title} - LD Improvement Standards {cycle}",
    "LDIS_{cycle}_{code}",
    "{code}_OrgReturn_{cycle}_FINAL",
    "{short} org return {cycle}",
    "Organisational return {cycle} - {short}",
    "{code} LD standards return FINAL (signed off)",
    "{short} LDIS return {cycle}-{next2} v1",
)
RESUBMISSION_SUFFIXES = (" v2", "_v2", " - RESUBMISSION", " corrected", " FINAL v3", " (amended)")


class Namer:
    """Unique, realistic file names within one cycle's org_returns directory."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def unique(self, stem: str) -> str:
        name, n = f"{stem}.xlsx", 1
        while name.casefold() in self.used:
            n += 1
            name = f"{stem} ({n}).xlsx"
        self.used.add(name.casefold())
        return name

    def first(self, org: Organisation, cycle: int, rng: random.Random) -> str:
        return self.unique(stem_for(org, cycle, rng))

    def resubmission(self, first_name: str, rng: random.Random) -> str:
        return self.unique(first_name.removesuffix(".xlsx") + rng.choice(RESUBMISSION_SUFFIXES))

    def copy(self, first_name: str) -> str:
        """A byte-identical copy; its name sorts after the original's."""
        return self.unique(first_name.removesuffix(".xlsx") + "_copy")


def stem_for(org: Organisation, cycle: int, rng: random.Random) -> str:
    pattern = rng.choice(STEMS)
    return pattern.format(
        code=org.org_code,
        cycle=cycle,
        next2=str(cycle + 1)[-2:],
        title=title_name(org.org_name),
        short=short_name(org.org_name),
    )


def submission_time_on(day: dt.date, rng: random.Random) -> dt.datetime:
    """A time in office hours on that day, local time in England."""
    local = dt.datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59))
    return local.replace(tzinfo=LONDON)


def submission_time(cycle: int, rng: random.Random, latest_fraction: float = 1.0) -> dt.datetime:
    """A time in the collection window, skewed towards the deadline (cut at latest_fraction)."""
    start, end = collection_window(cycle)
    span = (end - start).days
    fraction = (1 - rng.random() ** 2) * latest_fraction
    return submission_time_on(start + dt.timedelta(days=int(fraction * span)), rng)


def later_time(moment: dt.datetime, rng: random.Random, low: int = 3, high: int = 30) -> dt.datetime:
    return submission_time_on(moment.astimezone(LONDON).date() + dt.timedelta(days=rng.randint(low, high)), rng)


def earlier_time(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    return submission_time_on(moment.astimezone(LONDON).date() - dt.timedelta(days=rng.randint(2, 12)), rng)
