"""Write-audit-publish: the audit's invariants, per-cycle promotion, the atomic snapshot swap."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib import publish


def make_working_db(path: Path, rows: list[tuple], flags: int = 2) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.national_indicators (cycle_year integer, indicator_id varchar, "
                    "standard integer, population varchar, numerator decimal(18,3), "
                    "denominator decimal(18,3), value decimal(18,1), unit varchar)")
        con.executemany("insert into marts.national_indicators values (?, ?, 1, 'all', ?, ?, ?, 'percent')", rows)
        con.execute("create table marts.participation (cycle_year integer, provider_type varchar, "
                    "org_type varchar, registered_trusts integer)")
        for cycle in {r[0] for r in rows}:
            con.execute("insert into marts.participation values (?, 'universal', 'acute', 3), "
                        "(?, 'universal', 'all', 3), (?, 'all', 'all', 3)", [cycle, cycle, cycle])
        con.execute("create table marts.validation_flags as select range::varchar as flag_id from range(?)", [flags])
        # the other published marts (tables 1-4, annex, flag history ...): their shape is not audited; empty here
        for table in set(publish.CYCLE_MARTS) - {"national_indicators", "participation"}:
            con.execute(f"create table marts.{table} (cycle_year integer, reason varchar)")
        for table in set(publish.CURRENT_MARTS) - {"validation_flags"}:
            con.execute(f"create table marts.{table} (cycle_year integer, flag_id varchar)")


def complete_rows(cycle: int) -> list[tuple]:
    return [(cycle, indicator, 5, 10, 50.0) for indicator in sorted(publish.expected_indicators(cycle))]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path / "state"


def test_complete_cycle_passes_audit(state: Path) -> None:
    make_working_db(state / "working.duckdb", complete_rows(2020))
    publish.write_candidate(state / "working.duckdb", state, 2020)
    result = publish.audit(state, 2020)
    assert result.passed, result.problems
    assert result.rows["national_indicators"] == len(publish.expected_indicators(2020))


def test_2018_does_not_expect_items_first_collected_in_2019(state: Path) -> None:
    expected_2018 = publish.expected_indicators(2018)
    assert "IR.01" not in expected_2018 and "I4.20" not in expected_2018
    assert {"IR.01", "I4.20"} <= publish.expected_indicators(2019)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda rows: rows[1:], "1 catalogue indicators missing"),
        (lambda rows: [(*rows[0][:2], 11, 10, 110.0), *rows[1:]], "numerator above denominator"),
        (lambda rows: [*rows, rows[0]], "duplicate indicator rows"),
        (lambda rows: [(*rows[0][:2], 5, 0, 50.0), *rows[1:]], "value without denominator"),
    ],
)
def test_broken_cycle_fails_audit(state: Path, change, problem: str) -> None:
    make_working_db(state / "working.duckdb", change(complete_rows(2020)))
    publish.write_candidate(state / "working.duckdb", state, 2020)
    result = publish.audit(state, 2020)
    assert not result.passed
    assert any(p.startswith(problem) for p in result.problems), result.problems


def test_failed_audit_keeps_last_published_rows(state: Path, tmp_path: Path) -> None:
    working, published, warehouse = state / "working.duckdb", state / "published", tmp_path / "wh.duckdb"
    published.mkdir()
    make_working_db(working, complete_rows(2020))
    publish.write_candidate(working, state, 2020)
    assert publish.audit(state, 2020).passed
    publish.promote(state, published, 2020)
    publish.build_snapshot(published, working, warehouse)
    working.unlink()
    make_working_db(working, complete_rows(2020)[1:], flags=5)  # a later run breaks 2020
    publish.write_candidate(working, state, 2020)
    assert not publish.audit(state, 2020).passed  # so it is not promoted
    publish.build_snapshot(published, working, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        indicators = con.execute("select count(*) from marts.national_indicators").fetchone()[0]
        flags = con.execute("select count(*) from marts.validation_flags").fetchone()[0]
    assert indicators == len(publish.expected_indicators(2020))  # the last published rows
    assert flags == 5  # flags are always current


def test_recover_restores_rows_after_a_crash_between_renames(state: Path) -> None:
    published = state / "published"
    (published / "cycle=2020.outgoing").mkdir(parents=True)
    (published / "cycle=2020.outgoing" / "national_indicators.parquet").write_text("old")
    (published / "cycle=2020.incoming").mkdir()
    publish.recover(published)
    assert (published / "cycle=2020" / "national_indicators.parquet").read_text() == "old"
    assert not (published / "cycle=2020.incoming").exists()


def test_status_time_is_kept_when_nothing_changes(state: Path) -> None:
    publish.record_status(state, 2020, "published", "audit passed")
    first = publish.read_status(state)["2020"]["recorded_at"]
    publish.record_status(state, 2020, "published", "audit passed")
    assert publish.read_status(state)["2020"]["recorded_at"] == first
