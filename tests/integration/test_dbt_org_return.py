"""dbt project, organisational-return prong: build on tiny Parquet datasets, check the marts.

One `dbt build` (seeds, models, data tests and unit tests) over a fixture of two cycles:
2018 (two trusts) and 2020 (seven registered trusts, six returns, a resubmission, rejected and
unreadable workbooks, error and warning flags). Every expected figure is worked out by hand
in the comments.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from tests.integration.dbt_fixtures import (
    ParquetDatasets,
    flag_id,
    flag_row,
    item_rows,
    org_row,
    participant_row,
    received_row,
    run_dbt,
    version_row,
    workbook_rows,
)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _write_fixture(ds: ParquetDatasets) -> None:
    ds.write_all_empty()

    # Register (one file) and participants (one file per cycle).
    ds.write(
        "validated",
        "register_organisations",
        [
            org_row("reg1", "RS1", "specialist", "mental_health"),
            org_row("reg1", "RS2", "specialist", "community"),
            org_row("reg1", "RS3", "specialist", "mental_health"),
            org_row("reg1", "RU1", "universal", "acute"),
            org_row("reg1", "RU2", "universal", "acute"),
            org_row("reg1", "RU3", "universal", "community"),
            org_row("reg1", "RU4", "universal", "acute"),
        ],
    )
    ds.write(
        "validated",
        "participants",
        [participant_row("part18", 2018, code) for code in ("RS1", "RU1")],
        partition="cycle=2018",
    )
    ds.write(
        "validated",
        "participants",
        [participant_row("part20", 2020, code) for code in ("RS1", "RS2", "RS3", "RU1", "RU2", "RU3", "RU4")],
        partition="cycle=2020",
    )

    # Workbooks: (hash, cycle, org, submitted_at, archive_seq, accepted?)
    workbooks = [
        ("rs1_18", 2018, "RS1", _at("2019-01-10"), 3, True),
        ("ru1_18", 2018, "RU1", _at("2019-01-11"), 4, True),
        ("rs1a", 2020, "RS1", _at("2020-12-01"), 10, True),
        ("rs2a", 2020, "RS2", _at("2020-12-05"), 11, True),
        ("rs3a", 2020, "RS3", _at("2020-12-07"), 12, True),
        ("ru1a", 2020, "RU1", _at("2020-12-08"), 13, True),
        ("ru2a", 2020, "RU2", _at("2020-12-09"), 14, True),
        ("ru3x", 2020, "RU3", _at("2020-12-10"), 15, False),  # F02, then resubmitted
        ("ru3a", 2020, "RU3", _at("2020-12-20"), 16, True),
        ("junk", 2020, None, None, 17, False),  # F01, organisation unreadable
        ("rs1b", 2020, "RS1", _at("2021-01-10"), 20, True),  # RS1's resubmission: current
        ("ru2x", 2020, "RU2", _at("2021-02-01"), 30, False),  # F02, nothing accepted after it
    ]
    ds.write(
        "raw",
        "received_files",
        [received_row("reg1", "register", None, "register/organisations.csv", 1)]
        + [received_row("part18", "participants", 2018, "2018/participants.csv", 2)]
        + [received_row("part20", "participants", 2020, "2020/participants.csv", 5)]
        + [received_row(h, "org_returns", c, f"{c}/org_returns/{h}.xlsx", s) for h, c, _, _, s, _ in workbooks],
    )
    for cycle in (2018, 2020):
        ds.write(
            "raw",
            "org_return_files",
            [
                workbook_rows(h, c, o, t, s, "parsed" if ok else ("unreadable" if o is None else "bad_template"))
                for h, c, o, t, s, ok in workbooks
                if c == cycle
            ],
            partition=f"cycle={cycle}",
        )
        ds.write(
            "validated",
            "org_return_versions",
            [version_row(h, c, o, t, s) for h, c, o, t, s, ok in workbooks if c == cycle and ok],
            partition=f"cycle={cycle}",
        )

    items_2018 = item_rows("rs1_18", 2018, "RS1", {"S1.01": "Yes", "S4.01": "Yes"}) + item_rows(
        "ru1_18", 2018, "RU1", {"S1.01": "No"}
    )
    items_2020 = (
        # RS1 first version: 'Y' is not a valid yes/no answer (R02 on the superseded version).
        item_rows("rs1a", 2020, "RS1", {"S1.01": "Y", "S4.01": "No", "RI.01": "3000", "RI.03": "140"})
        + item_rows(
            "rs1b",
            2020,
            "RS1",
            {
                "S1.01": " yes ",
                "S4.01": "Yes",
                "S4.02": "Yes",
                "S4.11": "Yes",
                "S4.12": "No",
                "RI.01": "3,000",
                "RI.03": "150",
                "RI.04": "20",
                "RI.07": "10",
                "RI.09": "25.5",
            },
        )
        # RS2: S1.01 invalid (R02 on the current version: excluded); S4.02 answered although
        # S4.01 is No (R04 warning; the answer is ignored); RI items not applicable.
        + item_rows(
            "rs2a",
            2020,
            "RS2",
            {"S1.01": "maybe", "S4.01": "No", "S4.02": "Yes", "RI.01": "N/A", "RI.03": "n/a"},
            follow_on_dead={"S4.02"},
        )
        # RS3: RI.03 carries an R06 warning (kept).
        + item_rows(
            "rs3a",
            2020,
            "RS3",
            {
                "S1.01": "No",
                "S4.01": "Yes",
                "S4.02": "No",
                "RI.01": "5000",
                "RI.03": "250",
                "RI.04": "29",
                "RI.07": "5",
                "RI.09": "10",
            },
        )
        + item_rows(
            "ru1a",
            2020,
            "RU1",
            {"S1.01": "No", "A.01": "1,000", "A.02": "5", "A.03": "2.5", "A.04": "100", "A.05": "3"},
        )
        + item_rows("ru2a", 2020, "RU2", {"S1.01": "Yes", "A.01": "2000", "A.02": "20", "A.03": "3.8"})
        + item_rows("ru3a", 2020, "RU3", {"S1.01": "yes", "A.01": "0", "A.02": "0"})
    )
    ds.write("validated", "org_return_items", items_2018, partition="cycle=2018")
    ds.write("validated", "org_return_items", items_2020, partition="cycle=2020")

    flags_2020 = [
        flag_row(2020, "RS1", "R02", "S1.01", "rs1a", "Y", "Yes or No"),
        flag_row(2020, "RS2", "R02", "S1.01", "rs2a", "maybe", "Yes or No"),
        flag_row(2020, "RS2", "R04", "S4.02", "rs2a", "Yes"),
        flag_row(2020, "RS3", "R06", "RI.03", "rs3a", "250", "0-100"),
        # Same fault on both RS1 versions (same flag_id): one row, values of the latest.
        flag_row(2020, "RS1", "R07", "RI.03", "rs1a", "140", "40"),
        flag_row(2020, "RS1", "R07", "RI.03", "rs1b", "150", "40"),
        flag_row(2020, "RU3", "F02", None, "ru3x", None, "sheet Return"),
        flag_row(2020, None, "F01", None, "junk"),
        flag_row(2020, "RU2", "F02", None, "ru2x", None, "sheet Return"),
    ]
    ds.write("validated", "flags", flags_2020, partition="source=org_return/cycle=2020")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    base = tmp_path_factory.mktemp("dbt_org_return")
    ds = ParquetDatasets(base)
    _write_fixture(ds)
    started = time.perf_counter()
    result = run_dbt(["build"], ds.env(), target_path=base / "target")
    elapsed = time.perf_counter() - started
    print(f"dbt build: {elapsed:.1f} s")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    con = duckdb.connect(str(ds.working_db), read_only=True)
    yield con
    con.close()


def _indicators(con, cycle: int) -> dict[str, tuple]:
    rows = con.execute(
        "select indicator_id, numerator, denominator, value, unit, population, standard "
        "from marts.national_indicators where cycle_year = ?",
        [cycle],
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_share_uses_current_version_and_excludes_current_errors(warehouse):
    figures = _indicators(warehouse, 2020)
    # I1.03 specialist S1.01 Yes: RS1 'yes' (its R02 was on the superseded version), RS3 'No',
    # RS2 excluded (R02 on its current version) -> 1 / 2.
    assert figures["I1.03"][:3] == (Decimal("1"), Decimal("2"), Decimal("50.0"))
    # I1.04 universal S1.01 No: RU1 No, RU2 Yes, RU3 yes; RU4 sent nothing -> 1 / 3 = 33.3.
    assert figures["I1.04"][:3] == (Decimal("1"), Decimal("3"), Decimal("33.3"))


def test_parent_restriction_and_follow_on(warehouse):
    figures = _indicators(warehouse, 2020)
    # I4.02 S4.01 Yes: RS1 Yes, RS2 No, RS3 Yes -> 2/3.
    assert figures["I4.02"][:3] == (Decimal("2"), Decimal("3"), Decimal("66.7"))
    # I4.03 S4.02 Yes among S4.01 = Yes: RS1 Yes, RS3 No; RS2's answer is ignored -> 1/2.
    assert figures["I4.03"][:3] == (Decimal("1"), Decimal("2"), Decimal("50.0"))
    # I4.14 S4.12 Yes among S4.11 = Yes: RS1 No -> 0/1.
    assert figures["I4.14"][:3] == (Decimal("0"), Decimal("1"), Decimal("0.0"))


def test_activity_kinds_and_half_up_rounding(warehouse):
    figures = _indicators(warehouse, 2020)
    # IR.03 pooled RI.04 / RI.03 percent: (20 + 29) / (150 + 250) = 12.25% -> 12.3 (half-up,
    # exact; RS3's RI.03 carries only a warning and counts).
    assert figures["IR.03"][:4] == (Decimal("49"), Decimal("400"), Decimal("12.3"), "percent")
    # IR.01 per 1,000 bed days: 400 / 8,000 * 1000 = 50.0 ('3,000' parsed; RS2's N/A left out).
    assert figures["IR.01"][:4] == (Decimal("400"), Decimal("8000"), Decimal("50.0"), "per_1000")
    # IR.04: 15 / 8000 * 1000 = 1.875 -> 1.9.   IR.05 ratio: 35.5 / 15 = 2.366.. -> 2.4.
    assert figures["IR.04"][2] == Decimal("1.9")
    assert figures["IR.05"][:4] == (Decimal("35.5"), Decimal("15"), Decimal("2.4"), "ratio")
    # I1.18 mean_ratio A.02/A.01 universal: RU1 0.5%, RU2 1.0%, RU3 whole 0 left out -> 0.75 -> 0.8.
    assert figures["I1.18"][:3] == (None, Decimal("2"), Decimal("0.8"))
    # IA.05 mean A.03 (acute): (2.5 + 3.8) / 2 = 3.15 -> 3.2.
    assert figures["IA.05"][:4] == (None, Decimal("2"), Decimal("3.2"), "wte")
    # IA.01 pooled A.05/A.04 (all): only RU1 -> 3 / 100.
    assert figures["IA.01"][:3] == (Decimal("3"), Decimal("100"), Decimal("3.0"))


def test_indicator_rows_per_cycle(warehouse):
    figures_2020 = _indicators(warehouse, 2020)
    figures_2018 = _indicators(warehouse, 2018)
    # Every org-return indicator appears for 2020 (73), plus the 39 survey indicators (no survey
    # data in this fixture: 0 / 0, empty value); nobody answered S1.02 -> empty value.
    assert len(figures_2020) == 73 + 39
    assert figures_2020["I1.01"][:3] == (Decimal("0"), Decimal("0"), None)
    assert figures_2020["I1.05"][1:3] == (Decimal("0"), None)
    # RI items and S4.17 were first collected in 2019: absent from 2018.
    assert "IR.01" not in figures_2018 and "I4.20" not in figures_2018
    assert len(figures_2018) == 67 + 39
    assert figures_2018["I1.03"][:3] == (Decimal("1"), Decimal("1"), Decimal("100.0"))


def test_validation_flag_statuses(warehouse):
    rows = warehouse.execute(
        "select flag_id, org_code, rule_id, severity, item_id, status, submitted_value "
        "from marts.validation_flags where cycle_year = 2020"
    ).fetchall()
    by_id = {row[0]: row[1:] for row in rows}
    assert len(rows) == 8  # nine flag rows, the R07 raised on two versions counts once
    assert by_id[flag_id(2020, "RS1", "R02", "S1.01")][4] == "resolved_by_resubmission"
    assert by_id[flag_id(2020, "RS2", "R02", "S1.01")][4] == "open"
    assert by_id[flag_id(2020, "RS2", "R04", "S4.02")][2:5] == ("warning", "S4.02", "open")
    assert by_id[flag_id(2020, "RS1", "R07", "RI.03")][4:] == ("open", "150")
    assert by_id[flag_id(2020, "RU3", "F02", None, "ru3x")][4] == "resolved_by_resubmission"
    assert by_id[flag_id(2020, "RU2", "F02", None, "ru2x")][4] == "open"
    assert by_id[flag_id(2020, None, "F01", None, "junk")][:5] == (None, "F01", "error", None, "open")


def test_participation(warehouse):
    rows = warehouse.execute(
        "select cycle_year, provider_type, org_type, registered_trusts, completed_returns, "
        "staff_responses from marts.participation order by 1, 2, 3"
    ).fetchall()
    table = {(c, p, o): (r, d, s) for c, p, o, r, d, s in rows}
    # no survey data in this fixture: the survey columns are 0 (tests/e2e/test_survey_pipeline.py)
    assert table[(2020, "universal", "acute")] == (3, 2, 0)
    assert table[(2020, "specialist", "mental_health")] == (2, 2, 0)
    assert table[(2020, "specialist", "all")] == (3, 3, 0)
    assert table[(2020, "universal", "all")] == (4, 3, 0)
    assert table[(2020, "all", "all")] == (7, 6, 0)
    assert table[(2018, "all", "all")] == (2, 2, 0)
    assert len([key for key in table if key[0] == 2020]) == 4 + 2 + 1
