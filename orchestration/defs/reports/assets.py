"""Reports written from the published snapshot: flag reports per trust and the data-quality annex."""


from dagster import AssetExecutionContext, MaterializeResult, asset

from orchestration.defs.publication.assets import warehouse_snapshot
from orchestration.lib import flag_report
from orchestration.resources import LdisSettings

# A run may narrow the flag reports to one cycle and trust (the resubmission sensor's fast path).
CYCLE_TAG = "ldis/cycle"
ORG_TAG = "ldis/org_code"


@asset(group_name="publication", deps=[warehouse_snapshot])
def flag_reports(context: AssetExecutionContext, ldis: LdisSettings) -> MaterializeResult:
    """One Excel workbook (to fill in and return) and one HTML page per trust and cycle with flags,
    from the snapshot this run published; plus each published cycle's data-quality annex."""
    settings = ldis.get()
    tags = context.run.tags
    cycles = [int(tags[CYCLE_TAG])] if CYCLE_TAG in tags else None
    orgs = [tags[ORG_TAG]] if ORG_TAG in tags else None
    written = flag_report.write_reports(settings.warehouse, settings.reports, cycles, orgs)
    annexes = flag_report.write_annex(settings.warehouse, settings.reports)
    return MaterializeResult(metadata={"flag_report_files": len(written), "annex_files": len(annexes),
                                       "scope": f"cycle {cycles or 'all'}, trusts {orgs or 'all'}"})
