"""How a figure is written into a published file: the disclosure policy chosen from the catalogue
(source, unit) and applied by `orchestration.lib.disclosure` (never re-implemented here), then
formatted. Used by the national tables and the trust reports alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orchestration.lib.disclosure import (
    NATIONAL,
    RESTRAINT_RATES,
    SUB_NATIONAL,
    SUPPRESSED,
    TRUST_SURVEY,
    DisclosurePolicy,
    disclose_count,
    disclose_rate,
)

SURVEY_SOURCES = ("staff_survey", "service_user_survey")
UNIT_SUFFIX = {"percent": "%", "per_1000": " per 1,000", "wte": " WTE", "ratio": ""}


def trust_policy(source: str, unit: str) -> DisclosurePolicy:
    """The policy for one trust's figure: survey percentages need 10 valid responses; rates per
    1,000 occupied bed days need 100 bed days; every other figure the sub-national count rule."""
    if source in SURVEY_SOURCES:
        return TRUST_SURVEY
    if unit == "per_1000":
        return RESTRAINT_RATES
    return SUB_NATIONAL


def is_answer(row: dict[str, Any]) -> bool:
    """An organisational-return yes/no indicator: a trust's figure is its answer, not a count of
    people, so it is shown as the answer (see docs/decisions.md, issue 5)."""
    return row["source"] == "org_return" and row["kind"] == "share"


def format_number(value: Any, unit: str) -> str:
    if value is None:
        return ""
    if value == SUPPRESSED:
        return SUPPRESSED
    return f"{Decimal(str(value)):,.1f}{UNIT_SUFFIX.get(unit, '')}"


def disclosed_trust_value(row: dict[str, Any]) -> Any:
    """A trust's own figure as it may be published: a number, '*' or None (no figure)."""
    if row["value"] is None:
        return None
    if not row.get("publishable", True):
        return SUPPRESSED
    if row["kind"] == "mean":  # an average of a measured quantity (WTE), not a count
        return row["value"]
    return disclose_rate(
        row["value"], _whole(row["numerator"]), _whole(row["denominator"]),
        trust_policy(row["source"], row["unit"]),
        valid_responses=row.get("valid_responses"), bed_days=_float(row["denominator"]),
    )


def trust_figure_text(row: dict[str, Any]) -> str:
    """What the trust's report prints for its own figure."""
    if is_answer(row):
        if row["value"] is None:
            return "no answer counted"
        # the statement is what the indicator counts ("trusts that do not ..."): say whether it holds
        return "true of your trust" if float(row["value"]) == 100.0 else "not true of your trust"
    value = disclosed_trust_value(row)
    return "no figure" if value is None else format_number(value, row["unit"])


def national_value(value: Any) -> Any:
    return disclose_rate(value, None, None, NATIONAL)


def national_count(count: Any) -> Any:
    return disclose_count(_whole(count), NATIONAL)


def sub_national_count(count: Any) -> Any:
    return disclose_count(_whole(count), SUB_NATIONAL)


def _whole(value: Any) -> int | None:
    """Counts arrive as decimal(18,4); a sum of WTE or hours may not be whole (rounded half-up)."""
    if value is None:
        return None
    return int(Decimal(str(value)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
