"""Disclosure control: the one function every published file applies (see the contract's
"Disclosure control").

Below national level, the NHS secondary-care rule: 0 stays 0, counts of 1-7 are shown as `*`, every
other count is rounded to the nearest 5; a percentage or rate whose numerator or denominator is
suppressed is suppressed too (restraint rates also when bed days < 100). National figures are
published unrounded. Trust-level survey percentages with fewer than 10 valid responses are not
published. The rule is configurable per output through `DisclosurePolicy`, never re-implemented in a
template.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SUPPRESSED = "*"


@dataclass(frozen=True)
class DisclosurePolicy:
    national: bool = False  # national figures are published unrounded
    smallest_shown: int = 8  # counts 1..smallest_shown-1 are suppressed
    rounding_base: int = 5  # other counts are rounded to the nearest multiple of this
    min_valid_responses: int | None = None  # survey percentages need this many valid responses
    min_bed_days: int | None = None  # restraint rates need this many occupied bed days


NATIONAL = DisclosurePolicy(national=True)
SUB_NATIONAL = DisclosurePolicy()
TRUST_SURVEY = DisclosurePolicy(min_valid_responses=10)
RESTRAINT_RATES = DisclosurePolicy(min_bed_days=100)


def round_to_base(count: int, base: int) -> int:
    """Nearest multiple of `base`, halves rounded up (12 -> 10, 13 -> 15, 15 -> 15)."""
    return int((Decimal(count) / base).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * base


def disclose_count(count: int | None, policy: DisclosurePolicy = SUB_NATIONAL) -> int | str | None:
    """A count as it may be published: None stays None (no data), 0 stays 0, 1-7 -> '*', else rounded."""
    if count is None:
        return None
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if policy.national or count == 0:
        return count
    if count < policy.smallest_shown:
        return SUPPRESSED
    return round_to_base(count, policy.rounding_base)


def disclose_rate(
    value: Decimal | float | None,
    numerator: int | None,
    denominator: int | None,
    policy: DisclosurePolicy = SUB_NATIONAL,
    *,
    valid_responses: int | None = None,
    bed_days: float | None = None,
) -> Decimal | float | str | None:
    """A percentage or rate as it may be published: suppressed when its numerator or denominator
    would be, when a survey figure has too few valid responses, or a restraint rate too few bed days."""
    if value is None:
        return None
    if policy.min_valid_responses is not None and (valid_responses or 0) < policy.min_valid_responses:
        return SUPPRESSED
    if policy.min_bed_days is not None and (bed_days is None or bed_days < policy.min_bed_days):
        return SUPPRESSED
    if policy.national:
        return value
    for count in (numerator, denominator):
        if count is not None and disclose_count(int(count), policy) == SUPPRESSED:
            return SUPPRESSED
    return value
