"""R06-R10 (expectations/plausibility.json through lib/plausibility.py): each rule fires on a crafted
row and stays quiet on its near miss. The frames have the shape of the dbt model
int_plausibility_checks_prepared (tested for its peer quartiles in tests/integration)."""

from __future__ import annotations

import polars as pl
import pytest

from orchestration.lib import plausibility
from orchestration.lib.flags import flag_id


def item_row(org: str, item: str, value: float | None, previous: float | None = None, *,
             response_type: str = "count", yes_no: str | None = None, previous_yes_no: str | None = None) -> dict:
    change = abs(value - previous) if value is not None and previous is not None else None
    return {"check_kind": "item", "cycle_year": 2020, "org_code": org, "file_hash": f"h-{org}", "item_id": item,
            "measure_id": None, "response_type": response_type, "value": value, "previous_value": previous,
            "yes_no_value": yes_no, "previous_yes_no": previous_yes_no, "abs_change": change,
            "change_tolerance": 0.5 * previous if previous is not None else None}


def peer_row(org: str, value: float, peers: list[float], measure: str = "A.02/A.01", item: str = "A.02") -> dict:
    import statistics

    q1, median, q3 = (statistics.quantiles(peers, n=4, method="inclusive") if len(peers) > 1
                      else [peers[0]] * 3)
    iqr = q3 - q1
    return {"check_kind": "peer_measure", "cycle_year": 2020, "org_code": org, "file_hash": f"h-{org}",
            "item_id": item, "measure_id": measure, "response_type": "count", "value": value,
            "peer_count": len(peers), "peer_q1": q1, "peer_median": median, "peer_q3": q3, "peer_iqr": iqr,
            "lower_fence": q1 - 3 * iqr, "upper_fence": q3 + 3 * iqr}


def fired(rows: list[dict], totals: pl.DataFrame | None = None) -> dict[tuple[str, str, str], dict]:
    outcome = plausibility.evaluate(pl.DataFrame(rows, infer_schema_length=None), totals, [2020])
    return {(str(f["org_code"]), str(f["rule_id"]), str(f["item_id"])): f for f in outcome.flags}


PEERS = [0.010, 0.011, 0.012, 0.013, 0.014, 0.015, 0.016, 0.017]  # q1 0.01175, q3 0.01525, IQR 0.0035


def test_r06_fires_outside_the_fences_and_not_just_inside() -> None:
    # upper fence = 0.01525 + 3 * 0.0035 = 0.02575; lower fence = 0.01175 - 0.0105 = 0.00125
    flags = fired([peer_row("HIGH", 0.0258, PEERS), peer_row("EDGE", 0.0257, PEERS),
                   peer_row("LOW", 0.0012, PEERS), peer_row("LOWOK", 0.0013, PEERS)])
    assert set(flags) == {("HIGH", "R06", "A.02"), ("LOW", "R06", "A.02")}
    high = flags[("HIGH", "R06", "A.02")]
    assert high["severity"] == "warning"
    assert high["submitted_value"] == "A.02/A.01 = 0.0258"  # the trust's own figure, unrounded
    assert "among 8 similar trusts" in str(high["expected"]) and "0.02575" in str(high["expected"])
    assert high["flag_id"] == flag_id(2020, "HIGH", "R06", "A.02")


def test_r06_needs_eight_peers_and_a_spread() -> None:
    flags = fired([peer_row("FEW", 1.0, PEERS[:7]), peer_row("FLAT", 1.0, [0.5] * 8)])
    assert flags == {}


def test_r07_fires_over_50_percent_and_over_10_only() -> None:
    flags = fired([
        item_row("JUMP", "A.04", 31.0, 20.0),   # +11 and +55%: fires
        item_row("SMALL", "A.04", 30.0, 20.0),  # +10 only: quiet
        item_row("HALF", "A.04", 150.0, 100.0),  # +50 exactly 50%: quiet
        item_row("DOWN", "A.04", 40.0, 100.0),  # -60: fires
    ])
    assert set(flags) == {("JUMP", "R07", "A.04"), ("DOWN", "R07", "A.04")}
    assert flags[("DOWN", "R07", "A.04")]["expected"] == "100"


def test_r08_fires_on_yes_to_no_only() -> None:
    flags = fired([
        item_row("DROP", "S1.01", None, response_type="yes_no", yes_no="No", previous_yes_no="Yes"),
        item_row("RISE", "S1.01", None, response_type="yes_no", yes_no="Yes", previous_yes_no="No"),
        item_row("NEW", "S1.01", None, response_type="yes_no", yes_no="No", previous_yes_no=None),
    ])
    assert set(flags) == {("DROP", "R08", "S1.01")}
    assert flags[("DROP", "R08", "S1.01")]["severity"] == "info"


def test_r09_fires_on_zero_after_a_positive_year_and_on_a_zero_a01() -> None:
    flags = fired([
        item_row("ZERO", "A.06", 0.0, 4.0),
        item_row("STILLZERO", "A.06", 0.0, 0.0),
        item_row("ONE", "A.06", 1.0, 4.0),
        item_row("NOA01", "A.01", 0.0, None),
        item_row("A01OK", "A.01", 1.0, None),
    ])
    assert set(flags) == {("ZERO", "R09", "A.06"), ("NOA01", "R09", "A.01")}
    assert flags[("ZERO", "R09", "A.06")]["expected"] == "4"


def totals(org: str, months: int, **counts: float) -> pl.DataFrame:
    row = {"org_code": org, "cycle_year": 2020, "months_covered": months}
    row.update({column: counts.get(column, 0.0) for column in plausibility.R10_ITEMS.values()})
    return pl.DataFrame([row])


def test_r10_compares_with_the_incident_feed() -> None:
    rows = [item_row("RXS", "RI.03", 100.0), item_row("RXS", "RI.07", 40.0), item_row("RXS", "RI.05", 10.0)]
    feed = totals("RXS", 12, physical_restraint_incidents=89.0,  # diff 11 > 10 and > 5: fires
                  seclusion_interventions=36.0,  # diff 4 (< 5): quiet
                  rapid_tranquillisation_interventions=10.0)
    flags = fired(rows, feed)
    assert set(flags) == {("RXS", "R10", "RI.03")}
    assert flags[("RXS", "R10", "RI.03")]["expected"] == "89"
    near = fired([item_row("RXS", "RI.03", 100.0)], totals("RXS", 12, physical_restraint_incidents=90.0))
    assert near == {}  # diff 10 = 10% of 100: not more than 10%


def test_r10_is_not_evaluated_without_the_feed_or_its_twelve_months() -> None:
    rows = [item_row("RXS", "RI.03", 100.0)]
    missing = plausibility.evaluate(pl.DataFrame(rows), None, [2020])
    r10 = [e for e in missing.evaluations if e["rule_id"] == "R10"]
    assert [e["status"] for e in r10] == ["not_evaluated"] and "int_incident_r10_totals" in str(r10[0]["detail"])
    assert not any(f["rule_id"] == "R10" for f in missing.flags)
    partial = plausibility.evaluate(pl.DataFrame(rows), totals("RXS", 11, physical_restraint_incidents=1.0), [2020])
    r10 = [e for e in partial.evaluations if e["rule_id"] == "R10"]
    assert [(e["org_code"], e["status"]) for e in r10] == [("RXS", "not_evaluated")]
    assert "11 of 12 months" in str(r10[0]["detail"])
    assert not any(f["rule_id"] == "R10" for f in partial.flags)


@pytest.mark.parametrize(("value", "text"), [(12.0, "12"), (0.125, "0.125"), (None, "")])
def test_values_are_shown_unrounded(value: float | None, text: str) -> None:
    assert plausibility.number_text(value) == text
