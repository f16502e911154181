"""Commissioner files apply the disclosure rule and neutralise formulas."""

from orchestration.lib.incident_reports import COUNT_COLUMNS, TEXT_COLUMNS, disclosed_row


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {c: "x" for c in TEXT_COLUMNS}
    row.update({c: 0 for c in COUNT_COLUMNS})
    row.update({"interventions": 40, "occupied_bed_days": 2000.0, "interventions_per_1000_bed_days": 20.0})
    row.update(changes)
    return row


def test_counts_are_suppressed_or_rounded_and_zero_stays() -> None:
    line = disclosed_row(_row(people=3, incidents=12, pa01_prone=0))
    shown = dict(zip([*TEXT_COLUMNS, *COUNT_COLUMNS, "rate"], line, strict=True))
    assert (shown["people"], shown["incidents"], shown["pa01_prone"], shown["interventions"]) == ("*", 10, 0, 40)
    assert shown["rate"] == 20.0


def test_rate_suppressed_below_100_bed_days_or_with_a_suppressed_numerator() -> None:
    assert disclosed_row(_row(occupied_bed_days=99.0, interventions_per_1000_bed_days=50.5))[-1] == "*"
    assert disclosed_row(_row(interventions=5, interventions_per_1000_bed_days=2.5))[-1] == "*"
    assert disclosed_row(_row(interventions_per_1000_bed_days=None))[-1] is None


def test_text_that_looks_like_a_formula_is_neutralised() -> None:
    assert disclosed_row(_row(provider_name="=HYPERLINK(1)"))[1] == "'=HYPERLINK(1)"
