"""End to end: the generated three-cycle landing zone (with its survey exports and batches)
through `ldis run`, asserted against what the generator planted for the two surveys."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import polars as pl
import pytest

from orchestration.lib import rawstore
from orchestration.lib.flags import flag_id
from orchestration.pipeline import RunReport, run_pipeline
from orchestration.sample import Planted, generate_landing_zone
from orchestration.settings import Settings, make_settings

pytestmark = pytest.mark.e2e

SURVEYS = ("staff_survey", "service_user_survey")
SURVEY_COLUMNS = ("trusts_with_staff_responses", "staff_responses", "trusts_with_service_user_responses",
                  "service_user_responses")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Planted, Settings, RunReport]:
    base = tmp_path_factory.mktemp("e2e_surveys")
    planted = generate_landing_zone(base / "landing", seed=2020)
    settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports")
    return planted, settings, run_pipeline(settings)


def query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def same(expected: tuple, actual: tuple) -> bool:
    num, den, value = expected
    got_num, got_den, got_value = actual
    return (Decimal(num) == got_num and Decimal(den) == got_den
            and ((value is None and got_value is None)
                 or (value is not None and got_value is not None and Decimal(str(value)) == got_value)))


def test_run_publishes_every_cycle_with_the_survey_indicators(world) -> None:
    _planted, _settings, report = world
    assert report.problems == []
    assert report.published == {2018: "published", 2019: "published", 2020: "published"}


def test_every_survey_indicator_matches_the_plant_in_every_cycle(world) -> None:
    planted, settings, _report = world
    expected = planted.expected_survey_indicators()
    assert len(expected) == 3 * 39  # 39 survey indicators in the catalogue, three cycles
    rows = query(settings.warehouse, "select cycle_year, indicator_id, numerator, denominator, value "
                                     "from marts.national_indicators")
    actual = {(cycle, indicator): (num, den, value) for cycle, indicator, num, den, value in rows}
    missing = sorted(set(expected) - set(actual))
    assert missing == []
    wrong = [(key, expected[key], actual[key]) for key in expected if not same(expected[key], actual[key])]
    assert wrong == []
    # the report's figures are the generator's targets: every 2020 value lands near them
    assert actual[(2020, "I1.01")][2] is not None and abs(actual[(2020, "I1.01")][2] - 91) < 5


def test_2020_survey_participation_is_the_reports(world) -> None:
    planted, settings, _report = world
    columns = ", ".join(SURVEY_COLUMNS)
    rows = query(settings.warehouse, f"select cycle_year, provider_type, org_type, {columns} from marts.participation")
    actual = {(c, p, o): dict(zip(SURVEY_COLUMNS, rest, strict=True)) for c, p, o, *rest in rows}
    assert actual == planted.expected_survey_participation()
    assert actual[(2020, "all", "all")] == {
        "trusts_with_staff_responses": 172, "staff_responses": 4548,
        "trusts_with_service_user_responses": 152, "service_user_responses": 2884,
    }


def _planted_id(flag) -> str:
    item = flag.item_id if flag.rule_id in ("Q04", "Q05", "Q06") else None
    extra = None if flag.rule_id == "Q05" else flag.response_key
    return flag_id(flag.cycle_year, flag.org_code, flag.rule_id, item, extra)


def test_every_planted_survey_flag_is_raised_and_no_other(world) -> None:
    planted, settings, _report = world
    planted_flags = [f for f in planted.flags if f.source in SURVEYS]
    rules = {f.rule_id for f in planted_flags}
    assert rules == {"Q01", "Q02", "Q03", "Q04", "Q05", "Q06"}
    raised = dict(query(settings.warehouse, "select flag_id, status from marts.validation_flags "
                                            "where rule_id like 'Q%'"))
    expected = {_planted_id(f) for f in planted_flags}
    assert sorted(expected - set(raised)) == []
    assert sorted(set(raised) - expected) == []
    assert set(raised.values()) == {"open"}


def test_excluded_responses_are_kept_with_their_reason(world) -> None:
    planted, settings, _report = world
    responses = rawstore.read(settings.validated_dir, "survey_responses")
    statuses = responses.group_by("source", "cycle_year", "status").len()
    for flag_rule, status in (("Q03", "quarantined"), ("Q02", "over_cap")):
        for source in SURVEYS:
            for cycle in planted.cycles:
                planted_count = sum(1 for f in planted.flags if f.source == source and f.cycle_year == cycle
                                    and f.rule_id == flag_rule)
                got = statuses.filter((pl.col("source") == source) & (pl.col("cycle_year") == cycle)
                                      & (pl.col("status") == status))["len"].sum()
                assert got == planted_count > 0, (source, cycle, status)
    counted = responses.filter(pl.col("status") == "counted")
    assert counted.height == len(planted.survey_responses)


def test_per_trust_survey_figures_are_exact(world) -> None:
    planted, settings, _report = world
    expected = planted.expected_trust_survey_indicators()
    rows = query(settings.working_db, "select cycle_year, indicator_id, org_code, numerator, denominator, value, "
                                      "valid_responses, source from intermediate.int_survey_trust_indicator_values")
    actual = {(c, i, o): (n, d, v) for c, i, o, n, d, v, _valid, _source in rows}
    assert set(actual) == set(expected)
    wrong = [(key, expected[key], actual[key]) for key in expected if not same(expected[key], actual[key])]
    assert wrong == []
    assert all(valid == den for *_k, _n, den, _v, valid, _s in rows)
    assert {source for *_rest, source in rows} == set(SURVEYS)
    # the fewer-than-10 rule has something to keep out, and something to let through
    small = sum(1 for *_k, _n, _d, _v, valid, _s in rows if valid < 10)
    assert 0 < small < len(rows)
