"""Clean (error-free) answers of each trust's organisational return for a cycle.

Yes/No items: the 2020 chance of `Yes` for a trust's population (specialist or universal) comes
from `indicators.csv` `report_2020_value` (an indicator that counts `No` gives 1 - value; a
population-specific indicator wins over an `all` one; follow-on indicators with a `parent` are
conditional on the parent being `Yes`; no figure -> 0.65). Earlier cycles are 4.5 points lower
per year (improvement over years). Within each (cycle, item, population) exactly
round(p x n) trusts answer `Yes`: those with the lowest persistent per-trust score plus a little
per-cycle jitter, so a trust's answers are stable from year to year and national figures land near
the report's.

Activity items: per-trust sizes persistent across cycles (log-normal around a median by org_type)
with a small yearly drift; parts are a share of their whole and never exceed it. A.03 (acute only)
is WTE with decimals; RI.* (specialist trusts, from 2019) describe LD inpatient units: about one
in five specialist trusts has none and answers `N/A` throughout, and some answer `N/A` for
mechanical restraint or long-term segregation (allowed on RI items).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from statistics import NormalDist

from orchestration.sample.catalogue import Item, applicable_items, indicators, items
from orchestration.sample.register import Organisation
from orchestration.sample.rng import unit

NA = "N/A"  # clean marker for an allowed Not applicable answer
Value = str | int | float | None
Answers = dict[str, Value]

DEFAULT_P_YES = 0.65
YEARLY_IMPROVEMENT = 0.045
JITTER = 0.12
_NORMAL = NormalDist()

# medians of A.01, A.04, A.06, A.08, A.10 by org_type
WHOLE_MEDIANS: dict[str, dict[str, float]] = {
    "acute": {"A.01": 450_000, "A.04": 11_000, "A.06": 60, "A.08": 700, "A.10": 1_200},
    "mental_health": {"A.01": 60_000, "A.04": 7_000, "A.06": 70, "A.08": 350, "A.10": 1_500},
    "community": {"A.01": 180_000, "A.04": 5_000, "A.06": 20, "A.08": 200, "A.10": 600},
    "ambulance": {"A.01": 700_000, "A.04": 4_000, "A.06": 30, "A.08": 500, "A.10": 3_000},
    "cic": {"A.01": 12_000, "A.04": 350, "A.06": 3, "A.08": 25, "A.10": 40},
}
WHOLE_SIGMA = 0.4
# median share of the part in its whole, by provider_type, in 2020
PART_SHARES: dict[str, tuple[str, dict[str, float], float]] = {
    "A.02": ("A.01", {"universal": 0.0028, "specialist": 0.04}, 0.35),
    "A.05": ("A.04", {"universal": 0.006, "specialist": 0.09}, 0.4),
    "A.07": ("A.06", {"universal": 0.02, "specialist": 0.12}, 0.5),
    "A.09": ("A.08", {"universal": 0.006, "specialist": 0.05}, 0.4),
    "A.11": ("A.10", {"universal": 0.03, "specialist": 0.12}, 0.4),
}
# multiplier on a part's share in earlier cycles (the report's year-on-year story)
PART_TREND: dict[tuple[str, str], dict[int, float]] = {
    ("A.02", "universal"): {2018: 0.85, 2019: 0.93},
    ("A.09", "specialist"): {2018: 1.3, 2019: 1.15},
    ("A.11", "specialist"): {2018: 1.25, 2019: 1.12},
}
VOLUME_TREND = {2018: 0.95, 2019: 0.98}
LIAISON_WTE_MEDIAN = 2.4
LIAISON_TREND = {2018: 0.85, 2019: 0.92}
INPATIENT_SHARE = 0.78


def round_half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def lognormal(seed: int, median: float, sigma: float, *keys: object) -> float:
    """exp(ln(median) + sigma * z), z a standard normal fixed by (seed, keys)."""
    u = min(max(unit(seed, *keys), 1e-9), 1 - 1e-9)
    return median * math.exp(sigma * _NORMAL.inv_cdf(u))


def stochastic_round(seed: int, value: float, *keys: object) -> int:
    return math.floor(value + unit(seed, "round", *keys))


# ---------------------------------------------------------------- yes/no probabilities


def _p_from_indicator(numerator: tuple[str, ...], value: float) -> float:
    return value / 100 if numerator == ("Yes",) else 1 - value / 100


@cache
def p_yes_2020() -> dict[tuple[str, str], float]:
    """(item_id, population) -> chance of Yes in 2020, population specialist or universal."""
    table: dict[tuple[str, str], float] = {}
    specific: set[tuple[str, str]] = set()
    for ind in indicators():
        if ind.source != "org_return" or ind.report_2020_value is None:
            continue
        p = _p_from_indicator(ind.numerator, ind.report_2020_value)
        pops = ("specialist", "universal") if ind.population == "all" else (ind.population,)
        for pop in pops:
            key = (ind.item_id, pop)
            if ind.population != "all" or key not in specific:
                table[key] = p
            if ind.population != "all":
                specific.add(key)
    return table


def p_yes(item_id: str, population: str, cycle: int) -> float:
    p = p_yes_2020().get((item_id, population), DEFAULT_P_YES)
    p += YEARLY_IMPROVEMENT * (cycle - 2020) if cycle < 2020 else 0.01 * (cycle - 2020)
    return min(max(p, 0.02), 1.0)


def _yes_set(seed: int, cycle: int, item_id: str, population: str, codes: list[str]) -> set[str]:
    def score(code: str) -> tuple[float, str]:
        jitter = JITTER * (unit(seed, "yn", code, item_id, cycle) - 0.5)
        return (unit(seed, "yn", code, item_id) + jitter, code)

    k = round_half_up(p_yes(item_id, population, cycle) * len(codes))
    return set(sorted(codes, key=score)[:k])


def yes_no_answers(seed: int, cycle: int, orgs: list[Organisation]) -> dict[str, Answers]:
    """Yes/No answers for every applicable yes/no item; follow-ons None where the parent is No."""
    result: dict[str, Answers] = {org.org_code: {} for org in orgs}
    yes_no = [item for item in items().values() if item.response_type == "yes_no"]
    for item in sorted(yes_no, key=lambda it: it.parent_item is not None):
        for population in ("specialist", "universal"):
            members = [o for o in orgs if o.provider_type == population and _applies(item, cycle, o)]
            live = [o.org_code for o in members if _parent_live(item, result[o.org_code])]
            yes = _yes_set(seed, cycle, item.item_id, population, live)
            for org in members:
                code = org.org_code
                result[code][item.item_id] = None if code not in live else ("Yes" if code in yes else "No")
    return result


def _applies(item: Item, cycle: int, org: Organisation) -> bool:
    return item.applies(cycle, org.provider_type, org.org_type)


def _parent_live(item: Item, answers: Answers) -> bool:
    return item.parent_item is None or answers.get(item.parent_item) == "Yes"


# ---------------------------------------------------------------- activity


def _whole(seed: int, org: Organisation, item_id: str, cycle: int) -> int:
    median = WHOLE_MEDIANS[org.org_type][item_id] * VOLUME_TREND.get(cycle, 1.0)
    base = lognormal(seed, median, WHOLE_SIGMA, "size", org.org_code, item_id)
    drift = lognormal(seed, 1.0, 0.08, "drift", org.org_code, item_id, cycle)
    return (
        max(1, round(base * drift))
        if item_id == "A.01"
        else stochastic_round(seed, base * drift, org.org_code, item_id, cycle)
    )


def _part(seed: int, org: Organisation, item_id: str, whole: int, cycle: int) -> int:
    _, medians, sigma = PART_SHARES[item_id]
    trend = PART_TREND.get((item_id, org.provider_type), {}).get(cycle, 1.0)
    share = lognormal(seed, medians[org.provider_type] * trend, sigma, "share", org.org_code, item_id)
    share *= lognormal(seed, 1.0, 0.1, "share", org.org_code, item_id, cycle)
    value = stochastic_round(seed, whole * min(share, 0.9), org.org_code, item_id, cycle)
    return min(value, whole)


# What an NHS trust's own incident feed says for RI.03-RI.08 in a cycle (org_code, cycle) -> item -> count
FeedTotals = Mapping[tuple[str, int], Mapping[str, int]]


def activity_answers(seed: int, cycle: int, org: Organisation, feeds: FeedTotals | None = None) -> Answers:
    answers: Answers = {}
    for part_id, (whole_id, _, _) in PART_SHARES.items():
        whole = _whole(seed, org, whole_id, cycle)
        answers[whole_id] = whole
        answers[part_id] = _part(seed, org, part_id, whole, cycle)
    if org.org_type == "acute":
        answers["A.03"] = liaison_wte(seed, org, cycle)
    if org.provider_type == "specialist" and cycle >= items()["RI.01"].first_cycle:
        answers.update(restrictive_interventions(seed, org, cycle, (feeds or {}).get((org.org_code, cycle))))
    return answers


def liaison_wte(seed: int, org: Organisation, cycle: int) -> float:
    median = LIAISON_WTE_MEDIAN * LIAISON_TREND.get(cycle, 1.0)
    base = lognormal(seed, median, 0.4, "wte", org.org_code)
    wte = base * lognormal(seed, 1.0, 0.06, "wte", org.org_code, cycle)
    places = 2 if unit(seed, "wte_places", org.org_code) < 0.25 else 1
    return max(0.4, round(wte, places))


def restrictive_interventions(seed: int, org: Organisation, cycle: int, feed: Mapping[str, int] | None = None
                              ) -> Answers:
    """RI.01-RI.09 of a specialist trust with inpatient services. A trust that sends an incident feed
    fills RI.03-RI.08 in from the same records (so R10 finds them equal), unless the generator
    planted a mismatch in `feed`."""
    code = org.org_code
    ri_items = [i for i in items() if i.startswith("RI.")]
    if unit(seed, "inpatient", code) >= INPATIENT_SHARE:
        return dict.fromkeys(ri_items, NA)
    beds = min(max(lognormal(seed, 16, 0.6, "beds", code), 4), 70)
    bed_days = round(beds * 365 * (0.8 + 0.15 * unit(seed, "occupancy", code, cycle)))
    per_1000 = bed_days / 1000

    def rate(name: str, median: float, sigma: float = 0.5) -> int:
        level = lognormal(seed, median, sigma, name, code) * lognormal(seed, 1.0, 0.1, name, code, cycle)
        return stochastic_round(seed, per_1000 * level, code, name, cycle)

    restraint = rate("RI.03", 55, 0.6)
    prone_share = min(lognormal(seed, 0.12, 0.5, "prone", code), 0.6)
    seclusion = rate("RI.07", 14)
    hours = seclusion * lognormal(seed, 16, 0.5, "seclusion_hours", code, cycle)
    answers: Answers = {
        "RI.01": bed_days,
        "RI.02": max(1, round(beds * (0.5 + 0.9 * unit(seed, "people", code, cycle)))),
        "RI.03": restraint,
        "RI.04": min(restraint, stochastic_round(seed, restraint * prone_share, code, "RI.04", cycle)),
        "RI.05": rate("RI.05", 10),
        "RI.06": NA if unit(seed, "mechanical", code) < 0.6 else rate("RI.06", 0.4, 0.8),
        "RI.07": seclusion,
        "RI.08": NA if unit(seed, "lts", code) < 0.2 else rate("RI.08", 0.5, 0.8),
        "RI.09": round(hours, 1),
    }
    if feed is not None:
        answers.update(feed)
    return answers


def clean_answers(seed: int, cycle: int, orgs: list[Organisation], feeds: FeedTotals | None = None
                  ) -> dict[str, Answers]:
    """item_id -> clean value for every item applicable to each organisation in the cycle."""
    result = yes_no_answers(seed, cycle, orgs)
    for org in orgs:
        result[org.org_code].update(activity_answers(seed, cycle, org, feeds))
        order = [item.item_id for item in applicable_items(cycle, org.provider_type, org.org_type)]
        result[org.org_code] = {item_id: result[org.org_code].get(item_id) for item_id in order}
    return result
