"""The Spark engine's side of the warehouse: its state directory, and its marts handed to DuckDB.

Design (docs/scale-out.md): the dbt project builds on either engine from the same Parquet raw and
validated layers. Validation and flags are written by Python before dbt runs, so they do not depend
on the engine. What follows dbt (candidate, audit, publication, snapshot, reports) reads the marts
from the working DuckDB. On Spark the marts are external Parquet tables
(`<state>/spark/marts/<mart>/part-*.parquet`, dbt_project.yml `location_root`); after a Spark build
each mart written by that build is loaded into the working DuckDB's `marts` schema, table for
table, so every later step is the same code whatever the engine. The working DuckDB then holds only
copies of Spark's results; the figures are Spark's.

The few intermediate models that Python steps read between the two dbt builds (the plausibility
rules read `int_plausibility_checks_prepared`, `int_org_return_versions_ranked` and
`int_incident_r10_totals`) are handed over the same way: on Spark they are configured
`location_root=spark_location('intermediate')` (macros/spark_location.sql), so they are Parquet at
`<state>/spark/intermediate/<model>/` and land in the working DuckDB's `intermediate` schema.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

SUCCESS_MARKER = "_SUCCESS"  # Spark's marker of a completed write
EMPTY_FILE = "_empty.parquet"  # the zero-row schema file of every dataset (docs/design.md)
SCHEMA_SUMMARY = "_common_metadata"  # Parquet's summary-file name: the one `_` file Spark reads
# Schemas whose Spark tables are Parquet at <state>/spark/<schema>/<table>/ and are handed to the working
# DuckDB after a build (every mart; in intermediate, only the models Python reads).
HANDED_OVER_SCHEMAS = ("intermediate", "marts")


def ensure_schema_summaries(*roots: Path) -> list[Path]:
    """Give every dataset under `roots` a `_common_metadata` copy of its `_empty.parquet`.

    Spark skips files whose names start with `_`, so a dataset with no rows yet would have no
    schema for it (UNABLE_TO_INFER_SCHEMA); `_common_metadata` is the exception, and Spark takes the
    schema from it before any part file. DuckDB's `**/*.parquet` glob does not match it. Written
    atomically, only when missing or different; returns the files written."""
    written = []
    for root in roots:
        for empty in sorted(root.glob(f"**/{EMPTY_FILE}")):  # datasets and the partitions sources read
            summary = empty.with_name(SCHEMA_SUMMARY)
            content = empty.read_bytes()
            if summary.exists() and summary.read_bytes() == content:
                continue
            temporary = empty.with_name(f".{SCHEMA_SUMMARY}.{os.getpid()}.tmp")
            temporary.write_bytes(content)
            os.replace(temporary, summary)
            written.append(summary)
    return written


def reset_if_inconsistent(spark_dir: Path) -> bool:
    """Delete the metastore and the warehouse together when only one of them exists.

    Spark's Hive metastore (Derby) lists tables whose files live in the warehouse directory: one
    without the other makes `create table` fail on a table the metastore believes exists, or leaves
    files no table owns. Returns True when something was deleted."""
    metastore = spark_dir / "derby" / "metastore_db"
    warehouse = spark_dir / "warehouse"
    if metastore.exists() == warehouse.exists():
        return False
    shutil.rmtree(metastore.parent, ignore_errors=True)
    shutil.rmtree(warehouse, ignore_errors=True)
    return True


def marts_written_since(marts_dir: Path, since: float) -> list[str]:
    """Names of the marts whose Parquet location Spark finished writing at or after `since`."""
    if not marts_dir.is_dir():
        return []
    return sorted(
        folder.name for folder in marts_dir.iterdir()
        if (folder / SUCCESS_MARKER).is_file() and (folder / SUCCESS_MARKER).stat().st_mtime >= since
    )


def tables_written_since(spark_dir: Path, since: float) -> dict[str, list[str]]:
    """{schema: tables} of every handed-over schema whose Parquet Spark finished writing since `since`."""
    return {schema: tables for schema in HANDED_OVER_SCHEMAS
            if (tables := marts_written_since(spark_dir / schema, since))}


def load_tables_into_duckdb(spark_dir: Path, working_db: Path, written: dict[str, list[str]]) -> dict[str, int]:
    """Replace `<schema>.<table>` in the working DuckDB with the rows Spark wrote at
    `<spark_dir>/<schema>/<table>/`; returns row counts by `<schema>.<table>`.

    Types come from the Parquet schema Spark wrote (under a mart's enforced contract: int ->
    INTEGER, string -> VARCHAR, decimal(p,s) -> DECIMAL(p,s)), so the marts have the same columns
    and types as a DuckDB build. Everything is replaced in one transaction."""
    counts: dict[str, int] = {}
    with duckdb.connect(str(working_db)) as con:
        con.execute("begin transaction")
        for schema, tables in written.items():
            con.execute(f"create schema if not exists {schema}")
            for table in tables:
                files = str(spark_dir / schema / table / "*.parquet")
                con.execute(f"create or replace table {schema}.{table} as select * from read_parquet(?)", [files])
                counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        con.execute("commit")
    return counts


def load_marts_into_duckdb(marts_dir: Path, working_db: Path, marts: list[str]) -> dict[str, int]:
    """Replace `marts.<mart>` in the working DuckDB with the rows Spark wrote; returns row counts by mart."""
    counts = load_tables_into_duckdb(marts_dir.parent, working_db, {marts_dir.name: marts})
    return {name.split(".", 1)[1]: rows for name, rows in counts.items()}
