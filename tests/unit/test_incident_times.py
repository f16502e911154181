"""Incident times in SQL: naive Europe/London local time to UTC by the table of offsets
(`incidents.london_offsets`), checked against Python's zoneinfo (`timeutil.to_utc`, the contract's
semantics: an ambiguous autumn time is the first occurrence, a missing spring time moves forward by
the gap) on every clock change from 1916 to 2100 and on times with an offset or outside the table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.lib import incidents
from orchestration.lib.timeutil import parse_local_datetime, to_utc


def _edge_times() -> list[str]:
    """Local times either side of and inside every change of offset in the table, plus plain ones."""
    values: list[str] = []
    for instant, before, after in incidents._transitions(1916, 2100):
        local = dt.datetime.fromtimestamp(instant, dt.UTC).replace(tzinfo=None)
        for shift in (-90, -60, -30, -1, 0, 1, 30, 59, 60, 61, 90, 120, 150):
            values.append((local + dt.timedelta(minutes=min(before, after) // 60 + shift)).isoformat())
    values += ["2019-01-15T12:00:00", "2019-07-15T12:00:00", "2019-07-15 12:00:00", "2019-07-15"]
    return values


def _typed(tmp_path: Path, texts: list[str | None]) -> dict[str | None, dt.datetime | None]:
    """start_at text -> start_at as ingestion stores it (prepared_rows_sql over text rows)."""
    columns = {column: [None] * len(texts) for column in (*incidents.FEED_COLUMNS, "person_ref")}
    columns["start_at"] = texts
    rows = pa.table({"provider_code": ["P1"] * len(texts), "file_hash": ["h"] * len(texts),
                     "archive_seq": [1] * len(texts),
                     "archived_at": pa.array([dt.datetime(2100, 1, 1, tzinfo=dt.UTC)] * len(texts),
                                             pa.timestamp("us", "UTC")),
                     "row_number": list(range(len(texts))),
                     **{name: pa.array(values, pa.string()) for name, values in columns.items()}})
    with incidents.connect() as con:
        incidents.register_london(con)
        incidents.register_person_key(con, "test-key")
        con.register("text_rows", rows)
        got = con.execute(f"select row_number, start_at from ({incidents.prepared_rows_sql('select * from text_rows')}) "
                          "order by row_number").fetchall()
    return {texts[i]: value for i, value in got}


def test_naive_times_match_zoneinfo_at_every_clock_change(tmp_path: Path) -> None:
    texts = _edge_times()
    got = _typed(tmp_path, texts)  # type: ignore[arg-type]
    for text in texts:
        assert got[text] == to_utc(dt.datetime.fromisoformat(text)), text


def test_ambiguous_and_missing_local_times(tmp_path: Path) -> None:
    got = _typed(tmp_path, ["2020-10-25T01:30:00", "2020-03-29T01:30:00", "2020-03-29T02:00:00"])
    assert got["2020-10-25T01:30:00"] == dt.datetime(2020, 10, 25, 0, 30, tzinfo=dt.UTC)  # first (BST)
    assert got["2020-03-29T01:30:00"] == dt.datetime(2020, 3, 29, 1, 30, tzinfo=dt.UTC)  # 02:30 BST
    assert got["2020-03-29T02:00:00"] == dt.datetime(2020, 3, 29, 1, 0, tzinfo=dt.UTC)


def test_offsets_years_outside_the_table_and_unreadable_text(tmp_path: Path) -> None:
    texts = ["2020-06-01T12:00:00+00:00", "2020-06-01T12:45:00Z", "2020-06-01T12:00:00-0500",
             "2020-06-01T12:00:00+01:00", "1850-07-01T12:00:00", "2150-07-01T12:00:00", "2150-10-27T01:30:00",
             "not a date", "2020-13-01T00:00:00", None]
    got = _typed(tmp_path, texts)
    for text in texts[:7]:
        assert got[text] == parse_local_datetime(text), text
    assert got["not a date"] is None and got["2020-13-01T00:00:00"] is None and got[None] is None


def test_offset_table_is_the_british_summer_time_rule_in_modern_years() -> None:
    table = incidents.london_offsets().to_pylist()
    rows = {row["year"]: row for row in table if 2017 <= row["year"] <= 2021}
    assert rows[2019]["local_from"] == dt.datetime(2019, 3, 31, 2, 0)
    assert rows[2019]["local_to"] == dt.datetime(2019, 10, 27, 2, 0)
    assert {row["offset_seconds"] for row in rows.values()} == {3600}
    with duckdb.connect() as con:  # every modern year has exactly one summer interval
        con.register("offsets", incidents.london_offsets())
        assert con.execute("select count(*) from offsets where year between 1972 and 2100 "
                           "group by year having count(*) <> 1").fetchall() == []
