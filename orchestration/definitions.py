"""The Dagster code location: every LDIS asset, check, job and sensor, assembled here only."""

from __future__ import annotations

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from orchestration.defs import jobs
from orchestration.defs.collection import sensors
from orchestration.defs.incidents import assets as incidents_assets
from orchestration.defs.incidents import sensors as incidents_sensors
from orchestration.defs.publication import assets as publication_assets
from orchestration.defs.quality import assets as quality_assets
from orchestration.defs.returns import assets as returns_assets
from orchestration.defs.warehouse import assets as warehouse_assets
from orchestration.resources import LdisDbtCliResource, LdisSettings
from orchestration.settings import DBT_PROJECT_DIR, Settings, settings_from_env

ASSET_MODULES = [returns_assets, quality_assets, warehouse_assets, publication_assets, incidents_assets]


def build_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=[*load_assets_from_modules(ASSET_MODULES), returns_assets.received_files],
        asset_checks=load_asset_checks_from_modules(ASSET_MODULES),
        jobs=[jobs.register_job, jobs.collect_job, jobs.publish_cycle_job, jobs.snapshot_job, jobs.incidents_job],
        sensors=[sensors.landing_zone_sensor, incidents_sensors.incident_feed_sensor],
        resources={
            "ldis": LdisSettings.from_settings(settings),
            "dbt": LdisDbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=_dbt_executable()),
        },
        # One process: DuckDB has one writer, and the multi-process executor cost ~4 s per step here.
        executor=in_process_executor,
    )


def _dbt_executable() -> str:
    import sys
    from pathlib import Path

    return str(Path(sys.executable).with_name("dbt"))


defs = build_definitions(settings_from_env())
