"""dbt: staging -> intermediate -> marts in the working DuckDB (or on Spark), all cycles in one invocation."""


import os
import time
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

from orchestration.defs.partitions import cycles, single_run
from orchestration.lib import model_replay, spark_engine
from orchestration.lib.faults import crash_point
from orchestration.lib.recovery import ensure_working_db
from orchestration.resources import LdisDbtCliResource, LdisSettings
from orchestration.settings import DBT_PROJECT_DIR, settings_from_env

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=DBT_PROJECT_DIR / "target")
# Only `dagster dev` prepares the manifest here (`ldis` and the tests call prepare_manifest() first);
# its `dbt parse` needs the paths the profile and sources read, so give it the code location's.
for _name, _value in settings_from_env().dbt_env().items():
    os.environ.setdefault(_name, _value)
dbt_project.prepare_if_dev()


class LdisDbtTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed [schema, name] (e.g. marts/national_indicators); sources use the
    asset key in their meta, which is the Python asset that writes them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props["config"].get("schema") or "main"
            return AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "warehouse"


translator = LdisDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


# The flag models (tag flag_loop: validation_flags and what derives from flags and trusts' answers)
# are built in a second dbt invocation, after the plausibility asset has written its flags from the
# first build's measures. Measured: one more invocation costs ~3.5 s per run (benchmarks/).
FLAG_LOOP = "tag:flag_loop"


def _build(context: AssetExecutionContext, dbt: LdisDbtCliResource, ldis: LdisSettings, selection: str):
    settings = ldis.get()
    os.environ.update(settings.dbt_env())
    # A target folder per state directory keeps dbt's partial parsing between runs of one warehouse.
    # dbt unit tests check the SQL logic, not the data: they run in the test suite, not every build.
    # The target is the engine (profiles.yml); a target folder per engine, so switching engines does
    # not throw away the other's partial parse.
    args = ["build", "--target", settings.engine, "--exclude-resource-type", "unit_test"]
    target_path = settings.dbt_target_path
    ensure_working_db(settings.working_db)
    if settings.engine == "spark":
        spark_engine.reset_if_inconsistent(settings.spark_dir)
        spark_engine.ensure_schema_summaries(settings.raw_dir, settings.validated_dir)
    began = time.time() - 1  # file times have 1 s resolution on some file systems
    model_replay.forget_build(target_path, selection)
    try:
        for count, event in enumerate(dbt.cli(args, context=context, target_path=target_path).stream()):
            yield event
            if count == 3:
                crash_point("dbt.mid_build")  # test seam: a no-op unless LDIS_CRASH_AT names it
        if settings.engine == "duckdb":
            # the trust refresh replays this build's compiled SQL (lib/model_replay.py)
            model_replay.record_build(target_path, selection)
    finally:
        if settings.engine == "spark":
            # As on DuckDB, a mart that built stays built even when a later dbt test fails: hand every
            # mart this build wrote (and the intermediate models Python reads) to the working DuckDB,
            # which the plausibility rules and publication read (lib/spark_engine.py).
            written = spark_engine.tables_written_since(settings.spark_dir, began)
            counts = spark_engine.load_tables_into_duckdb(settings.spark_dir, settings.working_db, written)
            context.log.info(f"Spark tables loaded into the working DuckDB: {counts}")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    partitions_def=cycles,
    backfill_policy=single_run,
    project=dbt_project,
    exclude=FLAG_LOOP,
)
def warehouse_models(context: AssetExecutionContext, dbt: LdisDbtCliResource, ldis: LdisSettings):
    """Build every cycle's models; the marts hold all cycles, so one build serves any partition range."""
    yield from _build(context, dbt, ldis, "warehouse")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    partitions_def=cycles,
    backfill_policy=single_run,
    project=dbt_project,
    select=FLAG_LOOP,
    name="flag_models",
)
def flag_models(context: AssetExecutionContext, dbt: LdisDbtCliResource, ldis: LdisSettings):
    """validation_flags and the flag loop's marts, after every source of flags has written."""
    yield from _build(context, dbt, ldis, "flag_loop")
