"""The Spark engine's Python side (no Spark needed): schema summaries, the metastore/warehouse pair,
which marts a build wrote, and handing them to the working DuckDB; the engine setting."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import build_parser
from orchestration.lib import spark_engine
from orchestration.settings import make_settings


def test_schema_summary_copies_the_empty_file_once(tmp_path: Path) -> None:
    (tmp_path / "raw" / "flags").mkdir(parents=True)
    (tmp_path / "raw" / "flags" / "_empty.parquet").write_bytes(b"schema-v1")
    (tmp_path / "validated" / "items").mkdir(parents=True)
    (tmp_path / "validated" / "items" / "_empty.parquet").write_bytes(b"items")
    written = spark_engine.ensure_schema_summaries(tmp_path / "raw", tmp_path / "validated")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "raw/flags/_common_metadata", "validated/items/_common_metadata"]
    assert (tmp_path / "raw" / "flags" / "_common_metadata").read_bytes() == b"schema-v1"
    assert spark_engine.ensure_schema_summaries(tmp_path / "raw", tmp_path / "validated") == []
    (tmp_path / "raw" / "flags" / "_empty.parquet").write_bytes(b"schema-v2")  # the schema changed
    assert spark_engine.ensure_schema_summaries(tmp_path / "raw") == [tmp_path / "raw" / "flags" / "_common_metadata"]
    assert (tmp_path / "raw" / "flags" / "_common_metadata").read_bytes() == b"schema-v2"
    assert not [p for p in (tmp_path / "raw" / "flags").iterdir() if p.name.endswith(".tmp")]


def test_metastore_and_warehouse_are_deleted_together(tmp_path: Path) -> None:
    spark = tmp_path / "spark"
    assert spark_engine.reset_if_inconsistent(spark) is False  # neither: a first build
    (spark / "derby" / "metastore_db").mkdir(parents=True)
    (spark / "warehouse").mkdir()
    assert spark_engine.reset_if_inconsistent(spark) is False  # both: kept
    import shutil

    shutil.rmtree(spark / "warehouse")  # someone deleted the warehouse only
    assert spark_engine.reset_if_inconsistent(spark) is True
    assert not (spark / "derby").exists() and not (spark / "warehouse").exists()


def _write_mart(marts: Path, name: str, sql: str, mtime: float) -> None:
    folder = marts / name
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({sql}) to '{folder / 'part-00000.parquet'}' (format parquet)")
    (folder / "_SUCCESS").touch()
    os.utime(folder / "_SUCCESS", (mtime, mtime))


def test_marts_written_by_the_build_replace_the_working_copies(tmp_path: Path) -> None:
    marts, working = tmp_path / "marts", tmp_path / "working.duckdb"
    now = time.time()
    _write_mart(marts, "national_indicators",
                "select 2020::integer as cycle_year, 'A1' as indicator_id, 12.3::decimal(12,1) as value", now)
    _write_mart(marts, "stale_mart", "select 1 as x", now - 3600)
    (marts / "failed_mart").mkdir()  # no _SUCCESS: Spark did not finish writing it
    with duckdb.connect(str(working)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.national_indicators as select 2019 as cycle_year, 'old' as indicator_id")
    written = spark_engine.marts_written_since(marts, now - 5)
    assert written == ["national_indicators"]
    assert spark_engine.load_marts_into_duckdb(marts, working, written) == {"national_indicators": 1}
    with duckdb.connect(str(working), read_only=True) as con:
        assert con.execute("select * from marts.national_indicators").fetchall() == [(2020, "A1", Decimal("12.3"))]
        types = [row[1] for row in con.execute("describe marts.national_indicators").fetchall()]
    assert types == ["INTEGER", "VARCHAR", "DECIMAL(12,1)"]
    assert spark_engine.marts_written_since(tmp_path / "absent", 0) == []


def test_intermediate_tables_python_reads_are_handed_over_with_the_marts(tmp_path: Path) -> None:
    spark_dir, working = tmp_path / "spark", tmp_path / "working.duckdb"
    now = time.time()
    _write_mart(spark_dir / "marts", "validation_flags", "select 'R06' as rule_id", now)
    _write_mart(spark_dir / "intermediate", "int_plausibility_checks_prepared",
                "select 2020::integer as cycle_year, 0.25::double as q1", now)
    _write_mart(spark_dir / "intermediate", "int_old", "select 1 as x", now - 3600)
    (spark_dir / "warehouse" / "intermediate.db" / "int_managed").mkdir(parents=True)  # not handed over
    written = spark_engine.tables_written_since(spark_dir, now - 5)
    assert written == {"intermediate": ["int_plausibility_checks_prepared"], "marts": ["validation_flags"]}
    counts = spark_engine.load_tables_into_duckdb(spark_dir, working, written)
    assert counts == {"intermediate.int_plausibility_checks_prepared": 1, "marts.validation_flags": 1}
    with duckdb.connect(str(working), read_only=True) as con:
        assert con.execute("select * from intermediate.int_plausibility_checks_prepared").fetchall() == [(2020, 0.25)]


def test_engine_setting_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LDIS_ENGINE", raising=False)
    base = dict(landing=tmp_path / "l", warehouse=tmp_path / "w.duckdb", reports=tmp_path / "r")
    assert make_settings(**base).engine == "duckdb"
    spark = make_settings(**base, engine="spark")
    assert spark.engine == "spark" and spark.spark_marts_dir == spark.state / "spark" / "marts"
    assert spark.dbt_env()["LDIS_SPARK_DIR"] == str(spark.state / "spark")
    monkeypatch.setenv("LDIS_ENGINE", "spark")
    assert make_settings(**base).engine == "spark"
    with pytest.raises(ValueError, match="unknown engine 'trino'"):
        make_settings(**base, engine="trino")
    args = build_parser().parse_args(["run", "--landing", "l", "--warehouse", "w", "--reports", "r",
                                      "--engine", "duckdb"])
    assert args.engine == "duckdb"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--landing", "l", "--warehouse", "w", "--reports", "r", "--engine", "x"])
