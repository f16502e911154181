"""Each file and item rule fires on a crafted case and stays quiet on its near miss.

These run the real stages (archive, workbook reader, GX suites), so a rule that silently stopped
working in GX would fail here."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from orchestration.lib import rawstore
from tests.builders import default_answers, write_workbook
from tests.landing import ingest_and_validate, write_register


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    write_register(root)
    return root


def returns_dir(landing: Path) -> Path:
    return landing / "2020" / "org_returns"


def flags_for(landing: Path, tmp_path: Path, org: str | None = None) -> pl.DataFrame:
    flags = ingest_and_validate(landing, tmp_path / "state")
    return flags if org is None else flags.filter(pl.col("org_code") == org)


def rule_items(flags: pl.DataFrame, rule: str) -> set[str]:
    return set(flags.filter(pl.col("rule_id") == rule)["item_id"].to_list())


def test_clean_messy_return_raises_nothing(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "universal", "acute")
    answers.update({"S1.01": "  YES ", "S1.02": "no", "A.01": "12,345", "A.02": "12.0", "A.03": "3.75"})
    write_workbook(returns_dir(landing) / "alpha return FINAL.xlsx", answers, blank_rows_before_header=2)
    assert flags_for(landing, tmp_path).height == 0


@pytest.mark.parametrize(
    ("item", "bad", "good"),
    [
        ("A.04", "lots", "1,234"),  # text in a count
        ("A.04", "-5", "500"),  # negative count
        ("A.04", "12.5", "120.0"),  # a count is a whole number
        ("A.04", "1,23", "123"),  # a thousands separator in the wrong place
        ("S1.01", "Maybe", "yes"),
        ("S1.01", "Y", "No"),  # Y/N are not valid yes/no answers
        ("S1.01", "N/A", "Yes"),  # not applicable where the catalogue does not allow it
        ("A.03", "two", "2.5"),  # wte must be a number
    ],
)
def test_r02_invalid_response(landing: Path, tmp_path: Path, item: str, bad: str, good: str) -> None:
    answers = default_answers(2020, "universal", "acute")
    answers[item] = bad
    write_workbook(returns_dir(landing) / "a.xlsx", answers)
    answers_b = default_answers(2020, "universal", "acute")
    answers_b[item] = good
    write_workbook(returns_dir(landing) / "b.xlsx", answers_b, cover={"Organisation code": "RXB"})
    flags = flags_for(landing, tmp_path)
    bad_flags = flags.filter((pl.col("org_code") == "RXA") & (pl.col("rule_id") == "R02"))
    assert bad_flags["item_id"].to_list() == [item]
    assert bad_flags["submitted_value"].to_list() == [bad]
    assert f"'{bad}' is not a valid response" in bad_flags["message"][0]
    assert flags.filter(pl.col("org_code") == "RXB").height == 0


def test_r01_blank_and_missing_row(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "universal", "acute")
    answers["S1.02"] = "   "  # whitespace-only is a missing answer
    del answers["S2.01"]  # the row is missing altogether
    write_workbook(returns_dir(landing) / "a.xlsx", answers)
    flags = flags_for(landing, tmp_path, "RXA")
    assert rule_items(flags, "R01") == {"S1.02", "S2.01"}
    assert flags.filter(pl.col("rule_id") == "R01")["severity"].unique().to_list() == ["error"]


def test_r02_conflicting_duplicate_rows_but_identical_duplicates_are_one(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "universal", "acute")
    write_workbook(returns_dir(landing) / "a.xlsx", answers,
                   extra_rows=[["S1.01", "", "q", "No", None], ["S1.02", "", "q", " yes", None]])
    flags = flags_for(landing, tmp_path, "RXA")
    assert rule_items(flags, "R02") == {"S1.01"}  # S1.02 repeated with the same answer is one


def test_r03_item_that_does_not_apply(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "universal", "acute")
    answers["S4.01"] = "Yes"  # specialist-only item in a universal trust's return
    answers["S9.99"] = "Yes"  # not in the catalogue at all
    write_workbook(returns_dir(landing) / "a.xlsx", answers)
    flags = flags_for(landing, tmp_path, "RXA")
    assert rule_items(flags, "R03") == {"S4.01", "S9.99"}
    assert set(flags["rule_id"].to_list()) == {"R03"}


def test_r04_follow_on_answered_when_parent_is_no(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "specialist", "mental_health")
    answers.update({"S4.01": "No", "S4.02": "Yes", "S4.03": None, "S4.11": "Yes", "S4.12": "No"})
    write_workbook(returns_dir(landing) / "s.xlsx", answers, cover={"Organisation code": "RXS"})
    flags = flags_for(landing, tmp_path, "RXS")
    assert rule_items(flags, "R04") == {"S4.02"}  # S4.03 blank under a No parent is not missing
    assert rule_items(flags, "R01") == set()


def test_r05_part_exceeds_whole_flags_the_part(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "universal", "acute")
    answers.update({"A.04": "100", "A.05": "101", "A.06": "10", "A.07": "10"})  # equal is fine
    write_workbook(returns_dir(landing) / "a.xlsx", answers)
    flags = flags_for(landing, tmp_path, "RXA")
    r05 = flags.filter(pl.col("rule_id") == "R05")
    assert r05["item_id"].to_list() == ["A.05"]
    assert r05["expected"].to_list() == ["A.04 (100)"]


def test_file_rules(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "universal", "acute")
    folder = returns_dir(landing)
    write_workbook(folder / "unregistered.xlsx", answers, cover={"Organisation code": "RXN"})
    write_workbook(folder / "unknown.xlsx", answers, cover={"Organisation code": "ZZZ"})
    write_workbook(folder / "wrong year.xlsx", answers, cover={"Organisation code": "RXB", "Collection year": 2019})
    write_workbook(folder / "old template.xlsx", answers, cover={"Template version": "LDIS-2019"})
    (folder / "copy of old template.xlsx").write_bytes((folder / "old template.xlsx").read_bytes())
    (folder / "notes.xlsx").write_text("org_code,response\nRXA,Yes\n")
    flags = flags_for(landing, tmp_path)
    by_rule = {rule: flags.filter(pl.col("rule_id") == rule) for rule in ("F01", "F03", "F04", "F05", "F06")}
    assert sorted(by_rule["F03"]["submitted_value"].to_list()) == ["RXN", "ZZZ"]
    assert by_rule["F03"].filter(pl.col("submitted_value") == "ZZZ")["org_code"].to_list() == ["ZZZ"]
    assert by_rule["F04"]["org_code"].to_list() == ["RXB"]
    assert by_rule["F05"]["org_code"].to_list() == ["RXA"]
    assert by_rule["F06"]["landing_path"].to_list() == ["2020/org_returns/old template.xlsx"]
    assert by_rule["F01"]["org_code"].to_list() == [None]
    assert "notes.xlsx" in by_rule["F01"]["message"][0]
    # the F05 workbook is accepted and validated; its clean answers raise no item flag
    assert flags.filter(pl.col("rule_id").str.starts_with("R")).height == 0
    versions = rawstore.read(tmp_path / "state" / "validated", "org_return_versions")
    assert versions["org_code"].to_list() == ["RXA"]


def test_flag_ids_are_stable_across_runs_and_resubmissions(landing: Path, tmp_path: Path) -> None:
    answers = default_answers(2020, "universal", "acute")
    answers["S1.01"] = "Maybe"
    write_workbook(returns_dir(landing) / "v1.xlsx", answers)
    first = flags_for(landing, tmp_path)
    again = flags_for(landing, tmp_path)
    answers["A.01"] = "20000"  # a resubmission that still says Maybe
    write_workbook(returns_dir(landing) / "v2.xlsx", answers, cover={"Submitted at": "2021-02-01T09:00:00"})
    third = flags_for(landing, tmp_path)
    assert first["flag_id"].to_list() == again["flag_id"].to_list()
    assert set(third["flag_id"].to_list()) == set(first["flag_id"].to_list())
    assert third.height == 2  # the same flag raised on each of the two versions
