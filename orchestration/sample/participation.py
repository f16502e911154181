"""Who takes part in each cycle: collection windows, registration targets and completion.

Registration targets (registered for the organisational return; every participant row has
`registered_org_return=Y`). 2020 is the year-3 report's participation table; 2018 and 2019 are
invented, smaller and growing (year 1 and year 2 of the collection). A cycle not listed uses the
2020 targets; every target is capped by the trusts open during that cycle's window.

| cycle | specialist | acute | community | mental_health | ambulance | cic | total | completed |
| ----- | ---------- | ----- | --------- | ------------- | --------- | --- | ----- | --------- |
| 2018  | 44         | 116   | 8         | 3             | 1         | 1   | 173   | 147       |
| 2019  | 47         | 125   | 10        | 4             | 1         | 2   | 189   | 164       |
| 2020  | 50         | 131   | 11        | 5             | 1         | 3   | 201   | 178       |

(acute, community, mental_health, ambulance and cic here are universal providers.) Within each
group the trusts with the lowest seeded "engagement" score (persistent across cycles, with a small
per-cycle jitter) register, so most trusts that took part in 2018 take part again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from orchestration.sample.catalogue import CATALOGUE_DIR, read_csv
from orchestration.sample.register import Organisation
from orchestration.sample.rng import unit

GROUPS = ("specialist", "acute", "community", "mental_health", "ambulance", "cic")
TARGETS: dict[int, dict[str, int]] = {
    2018: {"specialist": 44, "acute": 116, "community": 8, "mental_health": 3, "ambulance": 1, "cic": 1},
    2019: {"specialist": 47, "acute": 125, "community": 10, "mental_health": 4, "ambulance": 1, "cic": 2},
    2020: {"specialist": 50, "acute": 131, "community": 11, "mental_health": 5, "ambulance": 1, "cic": 3},
}
COMPLETED: dict[int, int] = {2018: 147, 2019: 164, 2020: 178}
STAFF_SURVEY_SHARE = 0.925  # 2020: 186 registered for 172 trusts with responses
SERVICE_USER_SURVEY_SHARE = 0.835  # 2020: 168 registered for 152 trusts with responses
# Relative chance of not completing the return, by group (specialist trusts almost always do).
NOT_COMPLETING_WEIGHT = {
    "specialist": 0.35,
    "acute": 1.0,
    "community": 1.2,
    "mental_health": 1.2,
    "ambulance": 1.5,
    "cic": 1.5,
}


@dataclass(frozen=True)
class Participant:
    cycle_year: int
    org_code: str
    registered_org_return: bool
    registered_staff_survey: bool
    registered_service_user_survey: bool

    def csv_row(self) -> list[str]:
        flags = (self.registered_org_return, self.registered_staff_survey, self.registered_service_user_survey)
        return [self.org_code, *("Y" if flag else "N" for flag in flags)]


@cache
def calendar() -> dict[int, tuple[dt.date, dt.date]]:
    """Collection windows from `seeds/catalogue/cycle_calendar.csv`, when the seed is there."""
    path = CATALOGUE_DIR / "cycle_calendar.csv"
    if not path.exists():
        return {}
    return {
        int(row["cycle_year"]): (dt.date.fromisoformat(row["window_opens"]), dt.date.fromisoformat(row["window_closes"]))
        for row in read_csv(path)
    }


def collection_window(cycle: int) -> tuple[dt.date, dt.date]:
    """The calendar seed's window, else 23 November of the cycle year to 31 March of the next."""
    return calendar().get(cycle, (dt.date(cycle, 11, 23), dt.date(cycle + 1, 3, 31)))


def group_of(org: Organisation) -> str:
    return "specialist" if org.provider_type == "specialist" else org.org_type


def open_in_cycle(org: Organisation, cycle: int) -> bool:
    start, end = collection_window(cycle)
    return org.open_between(start, end)


def _engagement(seed: int, code: str, cycle: int) -> float:
    return unit(seed, "engagement", code) + 0.15 * unit(seed, "engagement", code, cycle)


def targets_for(cycle: int) -> dict[str, int]:
    return TARGETS.get(cycle, TARGETS[2020])


def select_registered(seed: int, register: list[Organisation], cycle: int) -> list[Organisation]:
    """The organisations registered for the cycle, in register (org_code) order."""
    chosen: set[str] = set()
    for group, target in targets_for(cycle).items():
        pool = [org for org in register if group_of(org) == group and open_in_cycle(org, cycle)]
        pool.sort(key=lambda org: (_engagement(seed, org.org_code, cycle), org.org_code))
        chosen.update(org.org_code for org in pool[:target])
    return [org for org in register if org.org_code in chosen]


def _lowest(seed: int, orgs: list[Organisation], share: float, *keys: object) -> set[str]:
    ranked = sorted(orgs, key=lambda org: (unit(seed, *keys, org.org_code), org.org_code))
    return {org.org_code for org in ranked[: round(share * len(orgs))]}


def build_participants(seed: int, registered: list[Organisation], cycle: int) -> list[Participant]:
    staff = _lowest(seed, registered, STAFF_SURVEY_SHARE, "staff_survey", cycle)
    service_users = _lowest(seed, registered, SERVICE_USER_SURVEY_SHARE, "service_user_survey", cycle)
    return [
        Participant(cycle, org.org_code, True, org.org_code in staff, org.org_code in service_users) for org in registered
    ]


def completed_target(cycle: int, registered: int) -> int:
    if cycle in COMPLETED:
        return min(COMPLETED[cycle], registered)
    return round(0.885 * registered)


def choose_non_completers(seed: int, registered: list[Organisation], cycle: int) -> list[Organisation]:
    """Weighted sampling without replacement (Efraimidis-Spirakis keys), deterministic by seed."""
    count = len(registered) - completed_target(cycle, len(registered))

    def key(org: Organisation) -> tuple[float, str]:
        draw = max(unit(seed, "non_completer", cycle, org.org_code), 1e-12)
        return (-(draw ** (1.0 / NOT_COMPLETING_WEIGHT[group_of(org)])), org.org_code)

    return sorted(registered, key=key)[:count]
