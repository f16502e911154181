"""Incident feeds: archive, pseudonymise and read the new files, then validate the whole feed.

One asset, run by `incidents_job` before `collect_job`, so the single dbt build of a run sees the
incident datasets. Validation judges every version in the raw layer again (an amendment can move an
intervention to another month) and replaces its outputs whole, so reprocessing is idempotent.
Without a usable pseudonymisation key the feeds are held: one
run-level error (validated/collection_notes), nothing read, everything else proceeds.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    asset,
    multi_asset,
)

from orchestration.defs.partitions import cycles, incident_months, single_run
from orchestration.lib import incident_months as months_lib
from orchestration.lib import incidents, rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.incident_reports import write_commissioner_reports, write_provider_flag_reports
from orchestration.resources import LdisSettings

OUTPUTS = [
    (["raw", "incident_rows"], "Every version of every incident row received, typed, person_ref replaced by "
                               "person_key."),
    (["raw", "incident_files"], "One row per incident-feed file read (or refused: unregistered provider)."),
    (["validated", "incident_selection"], "What validation decided: rows left out, versions chosen, files covered."),
    (["validated", "incident_quarantine"], "Rows quarantined by I01-I03, with the rule and field."),
    (["validated", "incident_bed_days"], "Occupied bed days per provider and month."),
    (["validated", "providers"], "The current provider register (register/providers.csv)."),
    (["validated", "incident_months"], "Per month: the versions judged and the last file that added one "
                                       "(what the month sensor compares with each month's audit)."),
    (["validated", "incident_flags"], "I01-I08 flags, written under validated/flags/source=incident/ "
                                      "(read by the validation_flags mart with every other flag)."),
]


@multi_asset(
    specs=[AssetSpec(key, group_name="incidents", description=description) for key, description in OUTPUTS],
)
def incident_feeds(context: AssetExecutionContext, ldis: LdisSettings):
    settings = ldis.get()
    rawstore.ensure_datasets(settings.raw_dir, rawstore.SCHEMAS)
    rawstore.ensure_datasets(settings.validated_dir, rawstore.VALIDATED_SCHEMAS)
    archive = Archive(settings.archive_dir, settings.raw_dir)
    metadata: dict[str, str] = {}
    try:
        incidents.usable_key(settings)
    except incidents.PseudonymKeyError as held:
        context.log.error(str(held))
        incidents.hold_note(settings.validated_dir, str(held))
        metadata["held"] = str(held)
    else:
        incidents.hold_note(settings.validated_dir, None)
        providers = incidents.read_providers(settings.landing, archive)
        ingest = incidents.ingest_feeds(settings, archive, set(providers["provider_code"].to_list()))
        bed_days = incidents.read_bed_days(settings.landing, archive)
        validation = incidents.validate_feeds(settings, providers, bed_days)
        reports = write_provider_flag_reports(settings.validated_dir, settings.reports)
        metadata = {"ingest": str(ingest), "validation": str(validation), "provider_flag_reports": str(reports)}
        context.log.info(f"incident feeds: {ingest}; {validation}")
    for key, _ in OUTPUTS:
        yield MaterializeResult(asset_key=AssetKey(key), metadata=metadata)


@multi_asset(
    specs=[AssetSpec(["reports", "commissioner_restrictive_practice"], group_name="incident_reports",
                     deps=[AssetKey(["marts", "commissioner_restrictive_practice"])],
                     description="One CSV per commissioner and cycle, disclosure rule applied.")],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def commissioner_reports(context: AssetExecutionContext, ldis: LdisSettings):
    """After the dbt build: the commissioners' files (every cycle of the mart, whatever the partitions)."""
    settings = ldis.get()
    written = write_commissioner_reports(settings.working_db, settings.reports)
    context.log.info(f"{written} commissioner files")
    yield MaterializeResult(asset_key=AssetKey(["reports", "commissioner_restrictive_practice"]),
                            metadata={"files": written})


MONTH_AUDIT = AssetKey(["validated", "incident_month_audit"])


@asset(
    key=MONTH_AUDIT, group_name="incident_months", partitions_def=incident_months, backfill_policy=single_run,
    deps=[AssetKey(["raw", "incident_rows"]), AssetKey(["validated", "incident_months"])],
    check_specs=[AssetCheckSpec("gx_agrees_with_sql", asset=MONTH_AUDIT, blocking=True, description=(
        "GX's incident_feed suite, run on each month's versions as a pandas frame, fails exactly the rows "
        "the SQL quarantine leaves out (I01-I03)."))],
)
def incident_month_audit(context: AssetExecutionContext, ldis: LdisSettings):
    """Each month of the incident feeds audited on its own: GX against the SQL that the pipeline
    relies on, one record per month (replaced whole, so re-running a month gives the same record)."""
    records = months_lib.audit_months(ldis.get(), context.partition_keys)
    disagreeing = records.filter(~records["agrees"])
    yield MaterializeResult(asset_key=MONTH_AUDIT, metadata={
        "months": records.height, "versions": int(records["versions"].sum() or 0),
        "sql_quarantined": int(records["sql_quarantined"].sum() or 0),
        "gx_failed": int(records["gx_failed"].sum() or 0)})
    yield AssetCheckResult(
        asset_key=MONTH_AUDIT, check_name="gx_agrees_with_sql", passed=disagreeing.is_empty(),
        severity=AssetCheckSeverity.ERROR,
        metadata={"months_disagreeing": ", ".join(disagreeing["month"].to_list()) or "none",
                  "rows": "; ".join(disagreeing["disagreeing_rows"].drop_nulls().to_list())[:2000] or "none"})
