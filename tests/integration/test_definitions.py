"""The Dagster code location `dagster dev` loads: the asset graph `ldis run` executes."""

from __future__ import annotations

import pytest
from dagster import AssetKey, DynamicPartitionsDefinition

from orchestration.pipeline import prepare_manifest


@pytest.fixture(scope="module")
def defs():
    prepare_manifest()
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    from orchestration.definitions import build_definitions
    from orchestration.settings import settings_from_env

    # A fresh Definitions, loaded with no instance-bound state storage: another test in this worker may
    # have left a disposed instance's storage as the current one.
    with set_defs_state_storage(None):
        loaded = build_definitions(settings_from_env())
        loaded.get_repository_def()
    return loaded


def test_stages_are_partitioned_by_discovered_cycles(defs) -> None:
    graph = defs.get_repository_def().asset_graph
    for key in (["raw", "org_return_files"], ["validated", "flags"], ["marts", "national_indicators"],
                ["marts", "validation_flags"], ["cycle_candidate"], ["published_cycle"]):
        partitions = graph.get(AssetKey(key)).partitions_def
        assert isinstance(partitions, DynamicPartitionsDefinition) and partitions.name == "cycles", key
    assert graph.get(AssetKey(["warehouse_snapshot"])).partitions_def is None


def test_audit_check_blocks_publication(defs) -> None:
    from orchestration.defs.publication.assets import candidate_passes_audit

    (spec,) = candidate_passes_audit.check_specs
    assert spec.blocking and spec.asset_key == AssetKey(["cycle_candidate"])
    checks = defs.get_repository_def().asset_graph.asset_check_keys
    assert spec.key in checks
    # dbt tests are asset checks too (e.g. uniqueness of national_indicators rows)
    assert any(key.asset_key == AssetKey(["marts", "national_indicators"]) for key in checks)


def test_jobs_and_sensor(defs) -> None:
    for name in ("register_job", "collect_job", "publish_cycle_job", "snapshot_job"):
        assert defs.resolve_job_def(name) is not None
    assert defs.resolve_sensor_def("landing_zone_sensor") is not None


def test_incident_months_are_partitions_with_their_own_job_sensor_and_check(defs) -> None:
    graph = defs.get_repository_def().asset_graph
    audit = AssetKey(["validated", "incident_month_audit"])
    partitions = graph.get(audit).partitions_def
    assert isinstance(partitions, DynamicPartitionsDefinition) and partitions.name == "incident_months"
    assert AssetKey(["validated", "incident_months"]) in graph.get(audit).parent_keys
    assert any(key.asset_key == audit and key.name == "gx_agrees_with_sql" for key in graph.asset_check_keys)
    job = defs.resolve_job_def("incident_months_job")
    assert job.partitions_def == partitions and audit in job.asset_layer.executable_asset_keys
    assert audit not in defs.resolve_job_def("collect_job").asset_layer.executable_asset_keys
    assert defs.resolve_sensor_def("incident_month_sensor").job_name == "incident_months_job"
