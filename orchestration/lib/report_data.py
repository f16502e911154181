"""What the published files are built from: the analysts' snapshot, read-only, nothing else.

Reports never open the working database: a cycle has reports only once its rows are in the
published snapshot (its audit passed and it was promoted). Rows come back as plain dicts so the
builders stay independent of DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

STANDARD_MARTS = {
    1: "standard_1_rights",
    2: "standard_2_inclusion",
    3: "standard_3_workforce",
    4: "standard_4_specialist",
}
STANDARD_TITLES = {
    1: "Standard 1: Respecting and protecting rights",
    2: "Standard 2: Inclusion and engagement",
    3: "Standard 3: Workforce",
    4: "Standard 4: Specialist learning disabilities services",
}
SURVEY_SOURCES = ("staff_survey", "service_user_survey")


@contextmanager
def open_snapshot(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        yield con
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    result = con.execute(sql, params or [])
    names = [column[0] for column in result.description]
    return [dict(zip(names, values, strict=True)) for values in result.fetchall()]


def published_cycles(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Cycles whose figures are in the snapshot (only audited, promoted cycles are)."""
    return [row["cycle_year"] for row in rows(
        con, "select distinct cycle_year from marts.national_indicators order by cycle_year")]


def standard_rows(con: duckdb.DuckDBPyConnection, standard: int, cycle_year: int) -> list[dict[str, Any]]:
    """Table `standard` for the cycle, in the report's order, with the year-on-year comparison."""
    return rows(con, f"""
        select t.*, y.previous_value, y.change, y.change_lower, y.change_upper, y.direction,
               y.comparison, y.previous_cycle_year
        from marts.{STANDARD_MARTS[standard]} as t
        left join marts.indicator_year_on_year as y
            on y.cycle_year = t.cycle_year and y.indicator_id = t.indicator_id
        where t.cycle_year = ?
        order by t.measure, t.order_in_measure""", [cycle_year])


def participation_rows(con: duckdb.DuckDBPyConnection, cycle_year: int) -> list[dict[str, Any]]:
    return rows(con, """
        select * from marts.participation where cycle_year = ?
        order by provider_type = 'all', provider_type, org_type = 'all', org_type""", [cycle_year])


def trusts_of_cycle(con: duckdb.DuckDBPyConnection, cycle_year: int) -> list[str]:
    return [row["org_code"] for row in rows(
        con, "select distinct org_code from marts.trust_indicators where cycle_year = ? order by 1", [cycle_year])]


def trust_rows(con: duckdb.DuckDBPyConnection, org_code: str) -> list[dict[str, Any]]:
    """Every published figure of one trust (all cycles), with the presentation of its indicator.
    Filtered on org_code in SQL: no other trust's row ever reaches the report builder."""
    return rows(con, f"""
        select t.*, s.statement, s.table_column, s.order_in_measure
        from marts.trust_indicators as t
        inner join ({_all_standards_sql()}) as s
            on s.cycle_year = t.cycle_year and s.indicator_id = t.indicator_id
        where t.org_code = ?
        order by t.cycle_year, s.measure, s.order_in_measure""", [org_code])


def _all_standards_sql() -> str:
    return " union all ".join(
        f"select cycle_year, indicator_id, measure, statement, table_column, order_in_measure from marts.{name}"
        for name in STANDARD_MARTS.values())


def open_flags(con: duckdb.DuckDBPyConnection, org_code: str, cycle_year: int) -> list[dict[str, Any]]:
    """The trust's open data-quality notes for the cycle (its own flags only)."""
    return rows(con, """
        select rule_id, severity, item_id, submitted_value, expected, message
        from marts.validation_flags
        where org_code = ? and cycle_year = ? and status = 'open'
        order by case severity when 'error' then 0 when 'warning' then 1 else 2 end, item_id nulls last, rule_id""",
        [org_code, cycle_year])
