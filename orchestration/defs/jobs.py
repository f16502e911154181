"""Jobs: the same asset graph, cut where a run must change shape.

`ldis run` (and the landing sensor) execute, in order: the register; every cycle's ingest, validation
and one dbt build (one run over all cycles); each cycle's audit and publication (one run per cycle,
so one cycle's failed audit blocks only that cycle); then the snapshot.
"""

from dagster import AssetKey, AssetSelection, define_asset_job

from orchestration.defs.partitions import cycles, incident_months

REGISTER = AssetSelection.assets(AssetKey(["raw", "register_organisations"]),
                                 AssetKey(["validated", "register_organisations"]),
                                 AssetKey(["validated", "landing_flags"]))  # the landing audit (issue 8)

register_job = define_asset_job(
    "register_job", selection=REGISTER,
    description="Read the landing zone's register (the only source of organisations).",
)

collect_job = define_asset_job(
    "collect_job",
    # every cycle-partitioned asset before publication: a new prong's group joins by itself
    selection=AssetSelection.all() - AssetSelection.groups("publication", "incidents", "incident_months") - REGISTER,
    partitions_def=cycles,
    description="Ingest, validate and build the marts for a range of cycles (one dbt invocation).",
)

publish_cycle_job = define_asset_job(
    "publish_cycle_job",
    selection=AssetSelection.assets("cycle_candidate", "published_cycle"),
    partitions_def=cycles,
    description="Write-audit-publish one cycle: a failing audit blocks that cycle only.",
)

snapshot_job = define_asset_job(
    "snapshot_job", selection=AssetSelection.assets("warehouse_snapshot", "flag_reports"),
    description="Build the analysts' snapshot from every published cycle, swap it in, write the flag reports.",
)

# The flag loop's dbt models (tag flag_loop, built by warehouse.assets.flag_models).
FLAG_LOOP_MODELS = [AssetKey(["intermediate", "int_flag_responses_confirmed"]),
                    AssetKey(["intermediate", "int_validation_flags_resolved"])] + [
    AssetKey(["marts", name]) for name in ("validation_flags", "flag_response_problems", "rule_evaluations",
                                           "validation_flag_history", "data_quality_annex")]

peer_rules_job = define_asset_job(
    "peer_rules_job",
    selection=AssetSelection.assets(AssetKey(["validated", "plausibility_flags"]),
                                    AssetKey(["validated", "rule_evaluations"]), *FLAG_LOOP_MODELS),
    partitions_def=cycles,
    description="Re-run the plausibility rules (R06's peer quartiles) and rebuild the flag models for a cycle.",
)

reports_job = define_asset_job(
    "reports_job", selection=AssetSelection.assets("national_tables", "trust_reports"),
    description="Build the national tables and every trust's report from the published snapshot.",
)

incidents_job = define_asset_job(
    "incidents_job", selection=AssetSelection.groups("incidents"),
    description="Ingest and validate the incident feeds (before collect_job, whose dbt build reads them).",
)

incident_months_job = define_asset_job(
    "incident_months_job", selection=AssetSelection.groups("incident_months"), partitions_def=incident_months,
    description="Audit incident-feed months: GX's incident_feed suite against the SQL quarantine, a month at a time.",
)
