"""The NHSBN validation loop end to end through `ldis run` (the Dagster asset graph):
submit with errors -> flag report -> the trust returns it with responses -> resubmission -> publish.

Three trusts (tests/landing.py). RXA's 2020 return has an invalid answer (R02, error) on S1.02 and a
zero A.01 (R09, warning). RXB's 2020 A.04 jumped from 100 in 2019 to 300 (R07, warning).
Run 1 publishes with the error value excluded; RXA returns its report confirming both flags (the
error cannot be confirmed) plus a CSV with an unknown flag id and an invalid response; RXB confirms
by CSV. Run 2 applies the answers. Then RXA resubmits with S1.02 fixed and A.01 still 0, and RXB
resubmits A.04 = 400 (a different value still flagged). Run 3 ends the loop.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.lib import flag_report
from orchestration.lib.flags import flag_id
from orchestration.pipeline import RunReport, run_pipeline
from orchestration.settings import Settings, make_settings
from tests.builders import default_answers, write_workbook
from tests.landing import write_register

pytestmark = pytest.mark.e2e

TYPES = {"RXA": ("universal", "acute"), "RXB": ("universal", "acute"), "RXS": ("specialist", "mental_health")}
R02_RXA = flag_id(2020, "RXA", "R02", "S1.02")
R09_RXA = flag_id(2020, "RXA", "R09", "A.01")
R07_RXB = flag_id(2020, "RXB", "R07", "A.04")
UNKNOWN = "0123456789abcdef"


def submit(landing: Path, cycle: int, org: str, name: str, submitted_at: str, **changes: str) -> None:
    answers = {**default_answers(cycle, *TYPES[org]), **changes}
    write_workbook(landing / str(cycle) / "org_returns" / name, answers,
                   cover={"Organisation code": org, "Collection year": str(cycle), "Submitted at": submitted_at,
                          "Template version": f"LDIS-{cycle}"})


def snapshot(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def statuses(settings: Settings) -> dict[str, str]:
    return dict(snapshot(settings, "select flag_id, status from marts.validation_flags"))


def indicator(settings: Settings, cycle: int, indicator_id: str) -> tuple:
    return snapshot(settings, f"select numerator, denominator, value from marts.national_indicators "
                              f"where cycle_year = {cycle} and indicator_id = '{indicator_id}'")[0]


def fill_in(report: Path, target: Path, answers: dict[str, tuple[str, str]]) -> None:
    book = openpyxl.load_workbook(report)
    sheet = book["Flags"]
    header = next(row for row in sheet.iter_rows() if row[0].value == "Flag ID")
    column = {cell.value: cell.column - 1 for cell in header}
    for row in sheet.iter_rows(min_row=header[0].row + 1):
        if row[0].value in answers:
            row[column["Response"]].value, row[column["Explanation"]].value = answers[row[0].value]
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("loop")
    landing = base / "landing"
    write_register(landing, participants={2019: ["RXA", "RXB", "RXS"], 2020: ["RXA", "RXB", "RXS"]})
    submit(landing, 2019, "RXB", "rxb-2019.xlsx", "2020-01-10T09:00:00", **{"A.04": "100"})
    submit(landing, 2020, "RXA", "rxa.xlsx", "2021-01-15T10:00:00", **{"S1.02": "Maybe", "A.01": "0", "A.02": "0"})
    submit(landing, 2020, "RXB", "rxb.xlsx", "2021-01-15T10:00:00", **{"A.04": "300"})
    submit(landing, 2020, "RXS", "rxs.xlsx", "2021-01-15T10:00:00")
    settings = make_settings(landing, base / "out" / "warehouse.duckdb", base / "out" / "reports")
    seen: dict[str, object] = {"settings": settings}

    first: RunReport = run_pipeline(settings)
    report_rxa = flag_report.report_paths(settings.reports, 2020, "RXA")[0]
    seen.update(first=first, statuses_1=statuses(settings), annex_1=snapshot(
        settings, "select org_code, item_id, rule_id, exclusion from marts.data_quality_annex where cycle_year = 2020"),
        i105_1=indicator(settings, 2020, "I1.05"),
        report_rxa_1=[list(r) for r in openpyxl.load_workbook(report_rxa)["Flags"].iter_rows(values_only=True)],
        reports_1=sorted(p.name for p in (settings.reports / "flag_reports" / "2020").iterdir()))

    returned = landing / "2020" / "flag_responses"
    fill_in(report_rxa, returned / "RXA returned.xlsx", {
        R09_RXA: ("Confirmed", "We had no EPR last year; the count is genuinely zero."),
        R02_RXA: ("Confirmed", "Maybe is right."),
    })
    (returned / "more.csv").write_text(
        f"flag_id,response,explanation\n{UNKNOWN},Confirmed,typo\n{R09_RXA},Perhaps,\n"
        f"{R07_RXB},Confirmed,New service opened in 2019.\n", encoding="utf-8")
    second = run_pipeline(settings)
    seen.update(second=second, statuses_2=statuses(settings), problems_2=snapshot(
        settings, "select flag_id, problem from marts.flag_response_problems order by all"))

    submit(landing, 2020, "RXA", "rxa-v2.xlsx", "2021-02-01T10:00:00", **{"S1.02": "No", "A.01": "0", "A.02": "0"})
    submit(landing, 2020, "RXB", "rxb-v2.xlsx", "2021-02-01T10:00:00", **{"A.04": "400"})
    third = run_pipeline(settings)
    seen.update(third=third, statuses_3=statuses(settings), i105_3=indicator(settings, 2020, "I1.05"),
                annex_3=snapshot(settings, "select org_code, item_id, rule_id, exclusion from marts.data_quality_annex "
                                           "where cycle_year = 2020"),
                flags_3=snapshot(settings, "select flag_id, submitted_value from marts.validation_flags"),
                history_3=snapshot(settings, "select flag_id, event, detail from marts.validation_flag_history "
                                             "order by flag_id, event_seq"),
                report_rxa_3=[list(r) for r in openpyxl.load_workbook(report_rxa)["Flags"].iter_rows(values_only=True)])
    shutil.rmtree(base / "out" / "warehouse_state" / "dagster_home", ignore_errors=True)
    return seen


def test_every_run_succeeds_and_publishes(loop) -> None:
    for run in ("first", "second", "third"):
        print(run, {k: round(v, 1) for k, v in loop[run].stage_seconds.items()})
        assert loop[run].problems == [], run
        assert loop[run].published == {2019: "published", 2020: "published"}, run


def test_run_one_flags_excludes_the_error_and_reports_each_trust(loop) -> None:
    assert loop["statuses_1"][R02_RXA] == "open"
    assert loop["statuses_1"][R09_RXA] == "open"
    assert loop["statuses_1"][R07_RXB] == "open"
    # I1.05 (S1.02 Yes among Yes|No, all trusts): RXA's invalid answer is excluded, the warning is not
    assert [float(x) for x in loop["i105_1"]] == [2.0, 2.0, 100.0]
    assert ("RXA", "S1.02", "R02", "value excluded") in loop["annex_1"]
    assert ("RXA", "A.01", "R09", "value excluded") not in loop["annex_1"]
    assert any(row[2] == "R10" and row[3] == "rule not evaluated" for row in loop["annex_1"])
    assert loop["reports_1"] == ["RXA.html", "RXA.xlsx", "RXB.html", "RXB.xlsx"]  # RXS has no flags
    ids = {row[0] for row in loop["report_rxa_1"]}
    assert {R02_RXA, R09_RXA} <= ids and R07_RXB not in ids


def test_run_two_applies_the_trusts_answers(loop) -> None:
    assert loop["statuses_2"][R09_RXA] == "confirmed_by_trust"
    assert loop["statuses_2"][R07_RXB] == "confirmed_by_trust"
    assert loop["statuses_2"][R02_RXA] == "open"  # an error cannot be confirmed away
    problems = dict(loop["problems_2"])
    assert problems[R02_RXA].startswith("an error cannot be confirmed")
    assert problems[UNKNOWN].startswith("unknown flag id")
    assert "'Perhaps' is not one of Confirmed, Will resubmit" in problems[R09_RXA]


def test_run_three_resolves_by_resubmission_and_reopens_a_changed_value(loop) -> None:
    final = loop["statuses_3"]
    assert final[R02_RXA] == "resolved_by_resubmission"
    assert final[R09_RXA] == "confirmed_by_trust"  # same value (0) on the new return: still confirmed
    assert final[R07_RXB] == "open"  # confirmed 300, now 400: the confirmation does not hold
    assert dict(loop["flags_3"])[R07_RXB] == "400"
    assert [float(x) for x in loop["i105_3"]] == [2.0, 3.0, 66.7]  # RXA's corrected No now counts
    assert not any(row[:3] == ("RXA", "S1.02", "R02") for row in loop["annex_3"])
    history = [(event, detail) for flag, event, detail in loop["history_3"] if flag == R07_RXB]
    assert history == [("raised", "300"), ("response: Confirmed", "New service opened in 2019."), ("raised", "400")]
    statuses_in_report = {row[0]: row[7] for row in loop["report_rxa_3"] if row[0] in (R02_RXA, R09_RXA)}
    assert statuses_in_report == {R02_RXA: "Resolved by resubmission", R09_RXA: "Confirmed by trust"}
