"""The Dagster code location: every LDIS asset, check, job and sensor, assembled here only."""

from __future__ import annotations

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from orchestration.defs import jobs
from orchestration.defs.collection import assets as collection_assets
from orchestration.defs.collection import schedules, sensors, trust_refresh
from orchestration.defs.flag_responses import assets as flag_response_assets
from orchestration.defs.incidents import assets as incidents_assets
from orchestration.defs.incidents import sensors as incidents_sensors
from orchestration.defs.plausibility import assets as plausibility_assets
from orchestration.defs.publication import assets as publication_assets
from orchestration.defs.publication import reports as publication_reports
from orchestration.defs.quality import assets as quality_assets
from orchestration.defs.reports import assets as report_assets
from orchestration.defs.returns import assets as returns_assets
from orchestration.defs.surveys import assets as survey_assets
from orchestration.defs.warehouse import assets as warehouse_assets
from orchestration.resources import LdisDbtCliResource, LdisSettings
from orchestration.settings import DBT_PROJECT_DIR, Settings, settings_from_env

ASSET_MODULES = [
    collection_assets, returns_assets, quality_assets, survey_assets, incidents_assets, plausibility_assets,
    flag_response_assets, warehouse_assets, publication_assets, publication_reports, report_assets,
]


def build_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=[*load_assets_from_modules(ASSET_MODULES), returns_assets.received_files],
        asset_checks=load_asset_checks_from_modules(ASSET_MODULES),
        jobs=[jobs.register_job, jobs.incidents_job, jobs.collect_job, jobs.publish_cycle_job, jobs.snapshot_job,
              jobs.reports_job, jobs.peer_rules_job, jobs.incident_months_job, trust_refresh.trust_refresh_job],
        sensors=[sensors.landing_zone_sensor, incidents_sensors.incident_feed_sensor,
                 incidents_sensors.incident_month_sensor,
                 schedules.refresh_snapshot_and_reports],
        schedules=[schedules.nightly_peer_rules, schedules.publish_after_window],
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
