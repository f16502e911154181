"""Recovery helpers on their own: an unusable working DB is moved aside (kept), a live one is not;
a crash between promote's renames is undone; orphan response parts are removed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.lib import publish, rawstore
from orchestration.lib.faults import POINTS, crash_point
from orchestration.lib.org_returns import drop_uncommitted_responses
from orchestration.lib.recovery import ensure_working_db


def test_a_healthy_working_db_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "working.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as x")
    assert ensure_working_db(path) is None
    with duckdb.connect(str(path)) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]


def test_an_unusable_working_db_is_moved_aside_not_deleted(tmp_path: Path) -> None:
    path = tmp_path / "working.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    aside = ensure_working_db(path)
    assert aside is not None and aside.exists() and not path.exists()
    assert aside.read_bytes().startswith(b"this is not")


def test_crash_seam_is_inert_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LDIS_CRASH_AT", raising=False)
    for point in POINTS:
        crash_point(point)  # returns: nothing set
    monkeypatch.setenv("LDIS_CRASH_AT", "somewhere.else")
    crash_point(POINTS[0])
    with pytest.raises(ValueError):
        crash_point("not.a.point")


def test_promote_puts_the_old_cycle_back_after_a_crash_between_renames(tmp_path: Path) -> None:
    published = tmp_path / "published"
    outgoing = published / "cycle=2020.outgoing"
    outgoing.mkdir(parents=True)
    (outgoing / "national_indicators.parquet").write_bytes(b"old")
    (published / "cycle=2020.incoming").mkdir()
    publish.recover(published)
    assert (published / "cycle=2020" / "national_indicators.parquet").read_bytes() == b"old"
    assert not outgoing.exists() and not (published / "cycle=2020.incoming").exists()


def test_uncommitted_response_parts_are_dropped(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    rawstore.ensure_datasets(raw, rawstore.SCHEMAS)
    frame = pl.DataFrame({"file_hash": ["h"], "cycle_year": [2020], "row_number": [2], "item_id": ["S1.01"],
                          "response_raw": ["Yes"], "comment": [None]})
    committed = rawstore.append(raw, "org_return_responses", frame, 2020, "aaaa")
    rawstore.append(raw, "org_return_files", pl.DataFrame({"file_hash": ["h"], "cycle_year": [2020]}), 2020, "aaaa")
    orphan = rawstore.append(raw, "org_return_responses", frame, 2020, "bbbb")
    assert drop_uncommitted_responses(raw, 2020) == [orphan]
    assert committed is not None and committed.exists() and orphan is not None and not orphan.exists()
