"""The oracle: national indicators and participation computed straight from the planted truth.

Independent of the warehouse: it applies the contract's "Computing an indicator" rules to the
truth of each trust's current return (item -> usable value, None where blank, N/A, not
applicable, or excluded by an unresolved error flag).

- Population `specialist`/`universal` by provider_type, `acute` by org_type, `all` everyone, among
  the trusts with a current return in the cycle.
- `share`: 100 x numerator / denominator over the trusts whose value is in the denominator set
  (and, with a parent, whose parent value is in the parent set).
- `mean_ratio`: mean over trusts of 100 x part / whole, where both are usable and whole > 0;
  numerator None, denominator = number of trusts.
- `pooled_rate`: sum(part) / sum(whole) over trusts where both are usable, x100 (percent),
  x1000 (per_1000) or x1 (ratio).
- `mean`: plain mean of usable values; numerator None, denominator = number of trusts.
- Values are rounded half-up to one decimal place with decimal.Decimal from unrounded figures; a
  denominator of 0 gives value None. An indicator appears for every cycle in which its items exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from orchestration.sample.catalogue import Indicator, Item, items, org_return_indicators

Value = str | int | float | None
Truth = Mapping[tuple[int, str], Mapping[str, Value]]
IndicatorResult = tuple[int | float | None, int | float, float | None]
UNIT_FACTOR = {"percent": Decimal(100), "per_1000": Decimal(1000), "ratio": Decimal(1), "wte": Decimal(1)}
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class RegisterRow:
    org_code: str
    org_name: str
    provider_type: str
    org_type: str
    region: str


def round_half_up(value: Decimal) -> float:
    return float(value.quantize(TENTH, rounding=ROUND_HALF_UP))


def plain(number: Decimal) -> int | float:
    """A Decimal sum as int when whole, else float."""
    return int(number) if number == number.to_integral_value() else float(number)


def in_population(row: RegisterRow, population: str) -> bool:
    if population == "all":
        return True
    if population == "acute":
        return row.org_type == "acute"
    return row.provider_type == population


def numeric(value: Value) -> Decimal | None:
    if value is None or isinstance(value, str | bool):
        return None
    return Decimal(str(value))


def indicator_items(indicator: Indicator) -> set[str]:
    found = {indicator.item_id}
    if indicator.source == "org_return_activity":
        found.update(indicator.numerator[:1])
        found.update(indicator.denominator[:1])
    if indicator.parent_item:
        found.add(indicator.parent_item)
    return found


def collected(indicator: Indicator, cycle: int, catalogue: Mapping[str, Item]) -> bool:
    return all(catalogue[item_id].first_cycle <= cycle for item_id in indicator_items(indicator))


def _share(indicator: Indicator, returns: list[Mapping[str, Value]]) -> IndicatorResult:
    numerator = denominator = 0
    for answers in returns:
        if indicator.parent_item and answers.get(indicator.parent_item) not in indicator.parent_values:
            continue
        value = answers.get(indicator.item_id)
        if value in indicator.denominator:
            denominator += 1
            numerator += value in indicator.numerator
    value = round_half_up(Decimal(100) * numerator / denominator) if denominator else None
    return numerator, denominator, value


def _pairs(indicator: Indicator, returns: list[Mapping[str, Value]]) -> list[tuple[Decimal, Decimal]]:
    part_id, whole_id = indicator.numerator[0], indicator.denominator[0]
    pairs = []
    for answers in returns:
        part, whole = numeric(answers.get(part_id)), numeric(answers.get(whole_id))
        if part is not None and whole is not None:
            pairs.append((part, whole))
    return pairs


def _pooled_rate(indicator: Indicator, returns: list[Mapping[str, Value]]) -> IndicatorResult:
    pairs = _pairs(indicator, returns)
    parts = sum((part for part, _ in pairs), Decimal(0))
    wholes = sum((whole for _, whole in pairs), Decimal(0))
    value = round_half_up(UNIT_FACTOR[indicator.unit] * parts / wholes) if wholes else None
    return plain(parts), plain(wholes), value


def _mean_ratio(indicator: Indicator, returns: list[Mapping[str, Value]]) -> IndicatorResult:
    ratios = [Decimal(100) * part / whole for part, whole in _pairs(indicator, returns) if whole > 0]
    value = round_half_up(sum(ratios, Decimal(0)) / len(ratios)) if ratios else None
    return None, len(ratios), value


def _mean(indicator: Indicator, returns: list[Mapping[str, Value]]) -> IndicatorResult:
    values = [v for v in (numeric(answers.get(indicator.item_id)) for answers in returns) if v is not None]
    value = round_half_up(sum(values, Decimal(0)) / len(values)) if values else None
    return None, len(values), value


KINDS = {"share": _share, "pooled_rate": _pooled_rate, "mean_ratio": _mean_ratio, "mean": _mean}


def compute_indicator(indicator: Indicator, returns: list[Mapping[str, Value]]) -> IndicatorResult:
    return KINDS[indicator.kind](indicator, returns)


def national_indicators(
    register: Iterable[RegisterRow],
    truth: Truth,
    cycles: Iterable[int],
    indicator_list: Iterable[Indicator] | None = None,
) -> dict[tuple[int, str], IndicatorResult]:
    """(cycle_year, indicator_id) -> (numerator, denominator, value) for org-return indicators."""
    by_code = {row.org_code: row for row in register}
    catalogue = items()
    chosen = tuple(indicator_list) if indicator_list is not None else org_return_indicators()
    result: dict[tuple[int, str], IndicatorResult] = {}
    for cycle in sorted(set(cycles)):
        for indicator in chosen:
            if not collected(indicator, cycle, catalogue):
                continue
            returns = [
                answers
                for (year, code), answers in sorted(truth.items())
                if year == cycle and code in by_code and in_population(by_code[code], indicator.population)
            ]
            result[(cycle, indicator.indicator_id)] = compute_indicator(indicator, returns)
    return result


def participation(
    register: Iterable[RegisterRow],
    registered: Mapping[int, Iterable[str]],
    completed: Mapping[int, Iterable[str]],
) -> dict[tuple[int, str, str], dict[str, int]]:
    """(cycle, provider_type, org_type) -> registered_trusts, completed_returns; with 'all' rows."""
    by_code = {row.org_code: row for row in register}
    result: dict[tuple[int, str, str], dict[str, int]] = {}
    for cycle, codes in registered.items():
        done = set(completed.get(cycle, ()))
        for code in codes:
            row = by_code[code]
            for key in ((row.provider_type, row.org_type), (row.provider_type, "all"), ("all", "all")):
                counts = result.setdefault((cycle, *key), {"registered_trusts": 0, "completed_returns": 0})
                counts["registered_trusts"] += 1
                counts["completed_returns"] += code in done
    return dict(sorted(result.items()))
