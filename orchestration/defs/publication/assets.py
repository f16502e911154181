"""Publish: per-cycle write-audit-publish, then one snapshot swapped onto the analysts' file."""


from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    asset,
    asset_check,
)

from orchestration.defs.partitions import cycles
from orchestration.lib import publish
from orchestration.lib.catalogue import cycle_window
from orchestration.resources import LdisSettings

MART_DEPS = [AssetKey(["marts", name]) for name in (*publish.CYCLE_MARTS, *publish.CURRENT_MARTS)]


@asset(group_name="publication", partitions_def=cycles, deps=MART_DEPS)
def cycle_candidate(context: AssetExecutionContext, ldis: LdisSettings) -> MaterializeResult:
    """The cycle's rows of the marts, copied out of the working database for audit."""
    settings = ldis.get()
    counts = publish.write_candidate(settings.working_db, settings.state, int(context.partition_key))
    return MaterializeResult(metadata=counts)


def _cycle_of(context: AssetCheckExecutionContext) -> int:
    return int(context.run.tags["dagster/partition"])


@asset_check(asset=cycle_candidate, blocking=True, description=(
    "Blocks the cycle's publication when its marts break an invariant: every catalogue indicator "
    "present for the cycles its items exist in, numerator <= denominator, values in range, one row per "
    "indicator, participation peer groups adding up to the total."))
def candidate_passes_audit(context: AssetCheckExecutionContext, ldis: LdisSettings) -> AssetCheckResult:
    settings = ldis.get()
    cycle_year = _cycle_of(context)
    result = publish.audit(settings.state, cycle_year)
    if not result.passed:
        publish.record_status(settings.published_dir, cycle_year, "audit_failed",
                              "; ".join(result.problems) + " (last published rows kept)")
    return AssetCheckResult(passed=result.passed, metadata={"problems": "; ".join(result.problems) or "none",
                                                            **result.rows})


@asset(group_name="publication", partitions_def=cycles, deps=[cycle_candidate])
def published_cycle(context: AssetExecutionContext, ldis: LdisSettings) -> MaterializeResult:
    """Promote an audited candidate to the published rows of its cycle, once its window has closed
    (or with --publish-open). An open cycle is validated and flagged, not published."""
    settings = ldis.get()
    cycle_year = int(context.partition_key)
    window = cycle_window(cycle_year)
    if not window.is_closed(settings.today) and not settings.publish_open:
        reason = f"collection window open until {window.window_closes.isoformat()}"
        publish.record_status(settings.published_dir, cycle_year, "held_open", reason)
        return MaterializeResult(metadata={"published": False, "reason": reason})
    publish.promote(settings.state, settings.published_dir, cycle_year)
    publish.record_status(settings.published_dir, cycle_year, "published", "audit passed")
    return MaterializeResult(metadata={"published": True})


@asset(group_name="publication", deps=[published_cycle, *MART_DEPS])
def warehouse_snapshot(context: AssetExecutionContext, ldis: LdisSettings) -> MaterializeResult:
    """The analysts' DuckDB file: every published cycle plus current flags, swapped in whole."""
    settings = ldis.get()
    counts = publish.build_snapshot(settings.published_dir, settings.working_db, settings.warehouse)
    return MaterializeResult(metadata={**counts, "path": str(settings.warehouse)})
