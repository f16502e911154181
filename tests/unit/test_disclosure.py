"""The disclosure rule as one pure function, on the contract's cases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestration.lib.disclosure import (
    NATIONAL,
    RESTRAINT_RATES,
    SUB_NATIONAL,
    SUPPRESSED,
    TRUST_SURVEY,
    disclose_count,
    disclose_rate,
    round_to_base,
)
from orchestration.lib.spreadsheet_safety import safe_cell


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, 0), (1, "*"), (3, "*"), (7, "*"), (8, 10), (12, 10), (13, 15), (15, 15), (17, 15), (18, 20), (None, None)],
)
def test_sub_national_counts(count: int | None, shown: int | str | None) -> None:
    assert disclose_count(count, SUB_NATIONAL) == shown


def test_national_counts_are_unrounded() -> None:
    assert disclose_count(3, NATIONAL) == 3
    assert disclose_count(12, NATIONAL) == 12


def test_half_rounds_up() -> None:
    assert round_to_base(2, 5) == 0 and round_to_base(3, 5) == 5 and round_to_base(22, 5) == 20


def test_rate_suppressed_with_its_numerator_or_denominator() -> None:
    assert disclose_rate(Decimal("30.0"), 3, 10) == SUPPRESSED
    assert disclose_rate(Decimal("80.0"), 40, 5) == SUPPRESSED
    assert disclose_rate(Decimal("40.0"), 40, 100) == Decimal("40.0")
    assert disclose_rate(Decimal("0.0"), 0, 100) == Decimal("0.0")  # a zero numerator is not suppressed
    assert disclose_rate(Decimal("30.0"), 3, 10, NATIONAL) == Decimal("30.0")


def test_survey_percentage_needs_ten_valid_responses() -> None:
    assert disclose_rate(Decimal("50.0"), 20, 40, TRUST_SURVEY, valid_responses=9) == SUPPRESSED
    assert disclose_rate(Decimal("50.0"), 20, 40, TRUST_SURVEY, valid_responses=10) == Decimal("50.0")


def test_restraint_rate_needs_100_bed_days() -> None:
    assert disclose_rate(Decimal("12.5"), 10, 99, RESTRAINT_RATES, bed_days=99) == SUPPRESSED
    assert disclose_rate(Decimal("80.0"), 80, 1000, RESTRAINT_RATES, bed_days=1000) == Decimal("80.0")


@pytest.mark.parametrize(
    ("value", "written"),
    [("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"),
     ("Yes", "Yes"), (-5, -5), (12.5, 12.5), (None, None)],
)
def test_formula_text_is_neutralised(value: object, written: object) -> None:
    assert safe_cell(value) == written
