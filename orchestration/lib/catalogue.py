"""The catalogues of the data contract, read from `seeds/catalogue/` (rules as data)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchestration.settings import CATALOGUE_DIR


def read_catalogue(name: str, directory: Path = CATALOGUE_DIR) -> list[dict[str, str]]:
    with (directory / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Item:
    item_id: str
    section: str
    response_type: str  # yes_no | count | wte | hours
    applies_to: str  # all | specialist | universal | acute
    parent_item: str | None
    first_cycle: int
    not_applicable_allowed: bool

    def applies(self, cycle_year: int, provider_type: str | None, org_type: str | None) -> bool:
        if cycle_year < self.first_cycle:
            return False
        if self.applies_to == "all":
            return True
        if self.applies_to == "acute":
            return org_type == "acute"
        return provider_type == self.applies_to


@dataclass(frozen=True)
class Rule:
    rule_id: str
    applies_to: str
    severity: str  # error | warning | info
    check: str
    message_to_submitter: str


@dataclass(frozen=True)
class CycleWindow:
    cycle_year: int
    window_opens: dt.date
    window_closes: dt.date

    def is_closed(self, today: dt.date) -> bool:
        return today > self.window_closes


@cache
def items() -> dict[str, Item]:
    return {
        row["item_id"]: Item(
            item_id=row["item_id"],
            section=row["section"],
            response_type=row["response_type"],
            applies_to=row["applies_to"],
            parent_item=row["parent_item"] or None,
            first_cycle=int(row["first_cycle"]),
            not_applicable_allowed=row["not_applicable_allowed"] == "Y",
        )
        for row in read_catalogue("org_return_items")
    }


@cache
def rules() -> dict[str, Rule]:
    return {row["rule_id"]: Rule(**row) for row in read_catalogue("validation_rules")}


@cache
def cycle_windows() -> dict[int, CycleWindow]:
    return {
        int(row["cycle_year"]): CycleWindow(
            cycle_year=int(row["cycle_year"]),
            window_opens=dt.date.fromisoformat(row["window_opens"]),
            window_closes=dt.date.fromisoformat(row["window_closes"]),
        )
        for row in read_catalogue("cycle_calendar")
    }


def cycle_window(cycle_year: int) -> CycleWindow:
    """The calendar seed's window, else 23 November of the year to 31 March of the next."""
    return cycle_windows().get(
        cycle_year,
        CycleWindow(cycle_year, dt.date(cycle_year, 11, 23), dt.date(cycle_year + 1, 3, 31)),
    )


def render_message(rule_id: str, **values: object) -> str:
    """The rule's message to the submitter with its placeholders filled (missing ones left empty)."""
    template = rules()[rule_id].message_to_submitter

    class _Blank(dict):
        def __missing__(self, key: str) -> str:
            return ""

    return template.format_map(_Blank({k: "" if v is None else v for k, v in values.items()}))
