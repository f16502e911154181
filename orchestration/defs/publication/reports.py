"""Published files built after the snapshot: the national tables and every trust's report.

They read only the analysts' snapshot (never the working database), so a cycle has files only
once it is published."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from orchestration.defs.publication.assets import warehouse_snapshot
from orchestration.lib import national_tables as national_tables_lib
from orchestration.lib import trust_reports as trust_reports_lib
from orchestration.resources import LdisSettings


@asset(group_name="publication", deps=[warehouse_snapshot])
def national_tables(context: AssetExecutionContext, ldis: LdisSettings) -> MaterializeResult:
    """Tables 1-4 and the participation table of every published cycle (Excel and CSV)."""
    settings = ldis.get()
    written = national_tables_lib.build_all(settings.warehouse, settings.reports)
    return MaterializeResult(metadata={"files": len(written), "folder": str(settings.reports / "national")})


@asset(group_name="publication", deps=[warehouse_snapshot])
def trust_reports(context: AssetExecutionContext, ldis: LdisSettings) -> MaterializeResult:
    """One bespoke HTML report per trust per published cycle."""
    settings = ldis.get()
    result = trust_reports_lib.build_all(settings.warehouse, settings.reports)
    return MaterializeResult(metadata={"reports": len(result.reports), "seconds": round(result.seconds, 2),
                                       "folder": str(settings.reports / "trusts")})
