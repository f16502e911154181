"""One trust's resubmission refreshes that trust's flag report on its own (lib/trust_refresh.py), with
the same flags and statuses the full run then computes, and nothing of another trust touched.

Three trusts (tests/landing.py). RXA's 2020 return has an invalid answer (R02, error) on S1.02 and a
zero A.01 (R09); RXB's A.04 jumped from 100 in 2019 to 300 (R07). After the first full run, RXA
resubmits with S1.02 fixed and A.04 raised from 100 to 900 (a new R07); the trust refresh runs
alone; then `ldis run` (which notices the single-trust change and refreshes first) rebuilds
everything and must agree. Then RXB returns its report as `RXB.csv`, confirming its R07 flag.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.lib import flag_report, trust_refresh
from orchestration.lib.flags import flag_id
from orchestration.pipeline import run_pipeline
from orchestration.settings import Settings, make_settings
from tests.e2e.test_validation_loop import submit
from tests.landing import write_register

pytestmark = pytest.mark.e2e

R02_RXA = flag_id(2020, "RXA", "R02", "S1.02")
R07_RXA = flag_id(2020, "RXA", "R07", "A.04")
R07_RXB = flag_id(2020, "RXB", "R07", "A.04")
FLAG_COLUMNS = "flag_id, rule_id, severity, item_id, status, submitted_value, expected, message"


def flags_of(database: Path, org: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"select {FLAG_COLUMNS} from marts.validation_flags where org_code = ? "
                           "order by flag_id", [org]).fetchall()


def report_rows(settings: Settings, org: str) -> dict[str, list]:
    workbook = flag_report.report_paths(settings.reports, 2020, org)[0]
    return {row[0]: list(row) for row in openpyxl.load_workbook(workbook)["Flags"].iter_rows(values_only=True)
            if row[0] and len(str(row[0])) == 16}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("refresh")
    landing = base / "landing"
    write_register(landing, participants={2019: ["RXA", "RXB", "RXS"], 2020: ["RXA", "RXB", "RXS"]})
    submit(landing, 2019, "RXA", "rxa-2019.xlsx", "2020-01-10T09:00:00", **{"A.04": "100"})
    submit(landing, 2019, "RXB", "rxb-2019.xlsx", "2020-01-10T09:00:00", **{"A.04": "100"})
    submit(landing, 2020, "RXA", "rxa.xlsx", "2021-01-15T10:00:00", **{"S1.02": "Maybe", "A.01": "0", "A.02": "0",
                                                                      "A.04": "100"})
    submit(landing, 2020, "RXB", "rxb.xlsx", "2021-01-15T10:00:00", **{"A.04": "300"})
    submit(landing, 2020, "RXS", "rxs.xlsx", "2021-01-15T10:00:00")
    settings = make_settings(landing, base / "out" / "warehouse.duckdb", base / "out" / "reports")
    seen: dict[str, object] = {"settings": settings}
    first = run_pipeline(settings)
    rxb_report = flag_report.report_paths(settings.reports, 2020, "RXB")[0]
    seen.update(first=first, rxa_1=flags_of(settings.working_db, "RXA"), rxb_1=flags_of(settings.working_db, "RXB"),
                rxb_report_mtime_1=rxb_report.stat().st_mtime_ns)

    submit(landing, 2020, "RXA", "rxa-v2.xlsx", "2021-02-01T10:00:00", **{"S1.02": "No", "A.01": "0", "A.02": "0",
                                                                         "A.04": "900"})
    outcome = trust_refresh.refresh_trust(settings, 2020, "RXA")
    seen.update(outcome=outcome, rxa_fast=flags_of(settings.working_db, "RXA"),
                rxb_fast=flags_of(settings.working_db, "RXB"), rxa_report_fast=report_rows(settings, "RXA"),
                rxb_report_mtime_fast=rxb_report.stat().st_mtime_ns)

    second = run_pipeline(settings)
    seen.update(second=second, rxa_full=flags_of(settings.warehouse, "RXA"), rxb_full=flags_of(settings.warehouse, "RXB"))

    (landing / "2020" / "flag_responses").mkdir()
    (landing / "2020" / "flag_responses" / "RXB.csv").write_text(
        f"flag_id,response,explanation\n{R07_RXB},Confirmed,A new ward opened.\n", encoding="utf-8")
    third = run_pipeline(settings)
    seen.update(third=third, rxb_report_3=report_rows(settings, "RXB"))
    shutil.rmtree(base / "out" / "warehouse_state" / "dagster_home", ignore_errors=True)
    return seen


def test_the_refresh_rewrites_only_the_trusts_report_with_its_new_statuses(refreshed) -> None:
    outcome = refreshed["outcome"]
    assert [p.name for p in outcome.reports_written] == ["RXA.xlsx", "RXA.html"]
    # R07 A.04 100 -> 900; R08 S1.02 Yes in 2019 -> No; R09 A.01 and A.02 zero after 2019's counts
    assert outcome.flags_by_rule == {"R07": 1, "R08": 1, "R09": 2}
    statuses = {row[0]: row[4] for row in refreshed["rxa_fast"]}
    assert statuses[R02_RXA] == "resolved_by_resubmission"  # S1.02 now valid
    assert statuses[R07_RXA] == "open"  # A.04 100 -> 900 against 2019's 100
    report = refreshed["rxa_report_fast"]
    assert report[R02_RXA][7] == "Resolved by resubmission"
    assert report[R07_RXA][4:6] == ["900", "100"]  # its value unrounded, the expected (last cycle's)
    assert refreshed["rxb_fast"] == refreshed["rxb_1"]  # another trust's flags untouched
    assert refreshed["rxb_report_mtime_fast"] == refreshed["rxb_report_mtime_1"]  # and its report not rewritten


def test_the_full_run_agrees_with_the_refresh(refreshed) -> None:
    assert refreshed["second"].problems == []
    assert refreshed["rxa_full"] == refreshed["rxa_fast"]
    assert refreshed["rxb_full"] == refreshed["rxb_1"]


def test_a_run_noticing_one_trusts_change_refreshes_that_trust_first(refreshed) -> None:
    assert refreshed["first"].trust_refreshes == {}  # nothing seen before the first run
    assert list(refreshed["second"].trust_refreshes) == ["2020/RXA"]
    assert list(refreshed["third"].trust_refreshes) == ["2020/RXB"]  # its returned report, by name
    assert refreshed["rxb_report_3"][R07_RXB][7] == "Confirmed by trust"
