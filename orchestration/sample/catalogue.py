"""The contract's catalogues as the generator needs them, read from the repo's `seeds/`.

The generator is self-contained, and deliberately independent of `orchestration/lib`: it is the tests'
oracle, so it must not share the code it checks. It reads `seeds/catalogue/*.csv` and `seeds/reference/ods_etr.csv`
located relative to this package (never from the shared contract folder).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
CATALOGUE_DIR = SEEDS_DIR / "catalogue"
REFERENCE_DIR = SEEDS_DIR / "reference"

PARENTS = frozenset({"S4.01", "S4.11"})
# R05 pairs (part -> whole), from validation_rules.csv
PART_OF: dict[str, str] = {
    "A.02": "A.01",
    "A.05": "A.04",
    "A.07": "A.06",
    "A.09": "A.08",
    "A.11": "A.10",
    "RI.04": "RI.03",
}
WHOLES = frozenset(PART_OF.values())


@dataclass(frozen=True)
class Item:
    item_id: str
    section: str
    question: str
    response_type: str  # yes_no | count | wte | hours
    applies_to: str  # all | specialist | universal | acute
    parent_item: str | None
    first_cycle: int
    na_allowed: bool

    @property
    def numeric(self) -> bool:
        return self.response_type != "yes_no"

    def applies(self, cycle: int, provider_type: str, org_type: str) -> bool:
        """Whether the item is in this trust's return for the cycle (before follow-on logic)."""
        if cycle < self.first_cycle:
            return False
        if self.applies_to == "all":
            return True
        if self.applies_to == "acute":
            return org_type == "acute"
        return provider_type == self.applies_to


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    source: str
    item_id: str
    population: str
    kind: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    parent_item: str | None
    parent_values: tuple[str, ...]
    unit: str
    report_2020_value: float | None


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split("|") if part)


@cache
def items() -> dict[str, Item]:
    """Catalogue items in catalogue order."""
    rows = read_csv(CATALOGUE_DIR / "org_return_items.csv")
    return {
        row["item_id"]: Item(
            item_id=row["item_id"],
            section=row["section"],
            question=row["question"],
            response_type=row["response_type"],
            applies_to=row["applies_to"],
            parent_item=row["parent_item"] or None,
            first_cycle=int(row["first_cycle"]),
            na_allowed=row["not_applicable_allowed"] == "Y",
        )
        for row in rows
    }


@cache
def indicators() -> tuple[Indicator, ...]:
    rows = read_csv(CATALOGUE_DIR / "indicators.csv")
    return tuple(
        Indicator(
            indicator_id=row["indicator_id"],
            source=row["source"],
            item_id=row["item_id"],
            population=row["population"],
            kind=row["kind"],
            numerator=_split(row["numerator"]),
            denominator=_split(row["denominator"]),
            parent_item=row["parent_item"] or None,
            parent_values=_split(row["parent_values"]),
            unit=row["unit"],
            report_2020_value=float(row["report_2020_value"]) if row["report_2020_value"] else None,
        )
        for row in rows
    )


def org_return_indicators() -> tuple[Indicator, ...]:
    return tuple(ind for ind in indicators() if ind.source in ("org_return", "org_return_activity"))


def applicable_items(cycle: int, provider_type: str, org_type: str) -> list[Item]:
    return [item for item in items().values() if item.applies(cycle, provider_type, org_type)]
