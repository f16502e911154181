"""The Spark build equals the DuckDB build, row for row, on the sample landing zone.

One landing zone for the module: `ldis run --engine spark` (run_pipeline with engine='spark') ingests,
validates, builds the marts on Spark (local[2], session mode), hands them to the working DuckDB and
publishes. The same raw and validated Parquet layers are then built by dbt on DuckDB into a second
database, and every mart is compared both ways with EXCEPT ALL (so duplicates count), plus column
names and types.

Marts compared: national_indicators, validation_flags, and restrictive_practice_monthly when that
model exists in the project (issue 6 adds it in parallel); then every other mart both builds have.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.pipeline import RunReport, run_pipeline
from orchestration.sample import generate_landing_zone
from orchestration.settings import DBT_PROJECT_DIR, DEMO_PSEUDONYM_KEY, Settings, make_settings
from tests.integration.dbt_fixtures import dbt_env, run_dbt
from tests.spark.engines import require_spark

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

REQUIRED_MARTS = ("national_indicators", "validation_flags", "restrictive_practice_monthly")


def marts_in_project() -> list[str]:
    """The required marts that exist as models in this project (a mart added later joins by itself)."""
    models = {path.stem for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")}
    return [name for name in REQUIRED_MARTS if name in models]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunReport, Path]:
    require_spark()
    base = tmp_path_factory.mktemp("engines")
    generate_landing_zone(base / "landing", seed=2020)
    previous = os.environ.get("LDIS_PSEUDONYM_KEY")
    os.environ["LDIS_PSEUDONYM_KEY"] = DEMO_PSEUDONYM_KEY
    try:
        settings = make_settings(base / "landing", base / "spark_run" / "warehouse.duckdb",
                                 base / "spark_run" / "reports", demo_mode=True, engine="spark")
        report = run_pipeline(settings)
    finally:
        if previous is None:
            os.environ.pop("LDIS_PSEUDONYM_KEY", None)
        else:
            os.environ["LDIS_PSEUDONYM_KEY"] = previous
    duckdb_build = base / "duckdb_build.duckdb"
    env = dbt_env(duckdb_build, settings.raw_dir, settings.validated_dir)
    env["LDIS_SPARK_DIR"] = str(settings.spark_dir)
    result = run_dbt(["build", "--target", "duckdb", "--exclude-resource-type", "unit_test"], env,
                     target_path=base / "dbt_target_duckdb")
    assert result.returncode == 0, result.stdout[-4000:]
    return settings, report, duckdb_build


def columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe select * from {relation}").fetchall()]


def differences(con: duckdb.DuckDBPyConnection, left: str, right: str) -> tuple[int, int]:
    only_left = con.execute(f"select count(*) from (select * from {left} except all select * from {right})")
    only_left_rows = only_left.fetchone()[0]
    only_right = con.execute(f"select count(*) from (select * from {right} except all select * from {left})")
    return only_left_rows, only_right.fetchone()[0]


def test_spark_run_succeeds_and_publishes(builds) -> None:
    settings, report, _ = builds
    assert report.problems == []
    assert report.published == {2018: "published", 2019: "published", 2020: "published"}
    # Session mode left nothing in the working directory: all of Spark's state is under <state>/spark.
    assert (settings.spark_dir / "derby" / "metastore_db").is_dir()
    assert (settings.spark_dir / "warehouse").is_dir()
    for stray in ("metastore_db", "derby.log", "spark-warehouse"):
        assert not (Path.cwd() / stray).exists(), stray
        assert not (DBT_PROJECT_DIR / stray).exists(), stray


def test_spark_marts_equal_duckdb_row_for_row(builds) -> None:
    settings, _, duckdb_build = builds
    required = marts_in_project()
    assert {"national_indicators", "validation_flags"} <= set(required)
    with duckdb.connect() as con:
        con.execute(f"attach '{duckdb_build}' as duck (read_only)")
        duck_marts = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'duck' "
            "and table_schema = 'marts'").fetchall()}
        assert set(required) <= duck_marts
        compared = {}
        for mart in sorted(duck_marts):
            spark_rows = f"read_parquet('{settings.spark_marts_dir / mart}/*.parquet')"
            duck_rows = f"duck.marts.{mart}"
            assert columns(con, spark_rows) == columns(con, duck_rows), mart
            assert differences(con, spark_rows, duck_rows) == (0, 0), mart
            compared[mart] = con.execute(f"select count(*) from {duck_rows}").fetchone()[0]
    # Something real was compared: the sample has figures for three cycles and planted flags.
    assert compared["national_indicators"] > 100
    assert compared["validation_flags"] > 50
    assert compared.get("participation", 1) > 0


def test_publication_reads_the_spark_marts(builds) -> None:
    """What analysts get from a Spark run is Spark's marts: the working DuckDB copies them exactly, and
    the snapshot publishes them (every cycle here is closed and passes its audit)."""
    settings, _, duckdb_build = builds
    with duckdb.connect() as con:
        con.execute(f"attach '{settings.working_db}' as working (read_only)")
        con.execute(f"attach '{settings.warehouse}' as published (read_only)")
        con.execute(f"attach '{duckdb_build}' as duck (read_only)")
        for mart in ("national_indicators", "validation_flags"):
            spark_rows = f"read_parquet('{settings.spark_marts_dir / mart}/*.parquet')"
            assert differences(con, f"working.marts.{mart}", spark_rows) == (0, 0), mart
            assert differences(con, f"published.marts.{mart}", f"duck.marts.{mart}") == (0, 0), mart
        value = con.execute("select value from published.marts.national_indicators "
                            "where cycle_year = 2020 and value is not null order by indicator_id limit 1").fetchone()
        assert value is not None
