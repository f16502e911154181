"""End to end: a generated three-cycle landing zone through `ldis run` (the Dagster asset graph),
asserted against what the generator planted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.flags import flag_id
from orchestration.pipeline import RunReport, run_pipeline
from orchestration.sample import Planted, generate_landing_zone
from orchestration.sample.catalogue import org_return_indicators
from orchestration.settings import Settings, make_settings

pytestmark = pytest.mark.e2e

ITEM_RULES = {"R01", "R02", "R03", "R04", "R05"}
FILE_RULES = {"F01", "F02", "F03", "F04", "F05", "F06"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Planted, Settings, RunReport, RunReport]:
    base = tmp_path_factory.mktemp("e2e")
    planted = generate_landing_zone(base / "landing", seed=2020)
    settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports")
    first = run_pipeline(settings)
    return planted, settings, first, run_pipeline(settings)


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_succeeds_and_publishes_every_closed_cycle(world) -> None:
    _planted, _settings, first, second = world
    assert first.problems == [] and second.problems == []
    assert first.cycles == [2018, 2019, 2020]
    assert first.published == {2018: "published", 2019: "published", 2020: "published"}


def test_every_org_return_indicator_matches_the_plant(world) -> None:
    planted, settings, _first, _second = world
    expected = planted.expected_national_indicators()
    rows = query(settings, "select cycle_year, indicator_id, numerator, denominator, value from "
                           "marts.national_indicators")
    org_return = {indicator.indicator_id for indicator in org_return_indicators()}  # surveys: test_survey_pipeline.py
    actual = {(cycle, indicator): (num, den, value) for cycle, indicator, num, den, value in rows
              if indicator in org_return}
    assert set(actual) == set(expected)
    mismatches = []
    for key, (num, den, value) in expected.items():
        got_num, got_den, got_value = actual[key]
        same = (
            (num is None or Decimal(str(num)) == got_num)
            and Decimal(str(den)) == got_den
            and ((value is None and got_value is None)
                 or (value is not None and got_value is not None and Decimal(str(value)) == got_value))
        )
        if not same:
            mismatches.append((key, (num, den, value), actual[key]))
    assert mismatches == []


def test_2020_participation_is_the_reports(world) -> None:
    planted, settings, _first, _second = world
    rows = query(settings, "select cycle_year, provider_type, org_type, registered_trusts, completed_returns "
                           "from marts.participation")
    actual = {(c, p, o): {"registered_trusts": r, "completed_returns": d} for c, p, o, r, d in rows}
    assert actual == planted.expected_participation()
    assert actual[(2020, "all", "all")] == {"registered_trusts": 201, "completed_returns": 178}
    assert actual[(2020, "specialist", "all")]["registered_trusts"] == 50
    assert actual[(2020, "universal", "acute")]["registered_trusts"] == 131


def _planted_flag_id(planted: Planted, flag) -> str:
    if flag.rule_id not in FILE_RULES:
        return flag_id(flag.cycle_year, flag.org_code, flag.rule_id, flag.item_id)
    record = next(w for w in planted.workbooks if w.path == flag.file)
    extra = f"{record.sha256}|{record.path}" if flag.rule_id == "F06" else record.sha256
    return flag_id(flag.cycle_year, flag.org_code, flag.rule_id, None, extra)


def test_every_planted_error_has_its_flag_and_status(world) -> None:
    planted, settings, _first, _second = world
    statuses = dict(query(settings, "select flag_id, status from marts.validation_flags"))
    planted_flags = [f for f in planted.flags if f.rule_id in ITEM_RULES | FILE_RULES]
    assert len(planted_flags) > 100
    missing = [(f.cycle_year, f.org_code, f.rule_id, f.item_id, f.file) for f in planted_flags
               if _planted_flag_id(planted, f) not in statuses]
    assert missing == []
    wrong = [(f.cycle_year, f.org_code, f.rule_id, f.item_id, f.expected_status,
              statuses[_planted_flag_id(planted, f)]) for f in planted_flags
             if statuses[_planted_flag_id(planted, f)] != f.expected_status]
    assert wrong == []


def test_no_item_or_file_flag_was_raised_that_was_not_planted(world) -> None:
    planted, settings, _first, _second = world
    planted_ids = {_planted_flag_id(planted, f) for f in planted.flags}
    raised = query(settings, "select flag_id, cycle_year, org_code, rule_id, item_id, message "
                             "from marts.validation_flags")
    unplanted = [row for row in raised if row[0] not in planted_ids and row[3] in ITEM_RULES | FILE_RULES]
    assert unplanted == []


def test_file_flags_name_the_file(world) -> None:
    _planted, settings, _first, _second = world
    messages = query(settings, "select message from marts.validation_flags where rule_id like 'F%'")
    assert messages and all("(file: " in message for (message,) in messages)


def test_rerun_changes_nothing(world, tmp_path: Path) -> None:
    _planted, settings, _first, _second = world
    tables = ["national_indicators", "participation", "validation_flags", "publication_status"]
    before = {t: query(settings, f"select * from marts.{t} order by all") for t in tables}
    assert before["validation_flags"]
    report = run_pipeline(settings)
    assert report.problems == []
    after = {t: query(settings, f"select * from marts.{t} order by all") for t in tables}
    assert after == before
