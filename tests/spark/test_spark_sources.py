"""Spark reads every source even when a dataset has no rows yet (only its `_empty.parquet`, which
Spark cannot see: the pipeline's `_common_metadata` copy carries the schema)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.lib import spark_engine
from tests.integration.dbt_fixtures import ParquetDatasets, run_dbt
from tests.spark.engines import require_spark

pytestmark = pytest.mark.spark


def test_every_source_registers_on_spark_over_empty_datasets(tmp_path: Path) -> None:
    require_spark()
    ds = ParquetDatasets(tmp_path)
    ds.write_all_empty()
    written = spark_engine.ensure_schema_summaries(ds.raw_dir, ds.validated_dir)
    assert len(written) >= 10
    env = {**ds.env(), "LDIS_SPARK_DIR": str(tmp_path / "spark")}
    # The on-run-start hook alone (one JVM, no models): `create table ... using parquet` infers the
    # schema when the table is created, which fails with UNABLE_TO_INFER_SCHEMA when Spark sees no file.
    result = run_dbt(["run-operation", "register_parquet_sources", "--target", "spark"], env,
                     target_path=tmp_path / "target")
    assert result.returncode == 0, result.stdout[-4000:]
    registered = re.search(r"registered (\d+) Parquet sources on Spark", result.stdout)
    assert registered and int(registered.group(1)) >= 10
    assert (tmp_path / "spark" / "derby" / "metastore_db").is_dir()
