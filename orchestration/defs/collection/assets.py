"""Audit the landing zone itself: what is there but will never be read gets a flag naming it."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orchestration.lib import rawstore
from orchestration.lib.landing_audit import audit_landing, write_landing_flags
from orchestration.resources import LdisSettings


@multi_asset(
    specs=[AssetSpec(["validated", "landing_flags"], group_name="collection",
                     description="F01 flags on landing-zone entries no stage reads (links out of the zone, "
                     "misplaced files, unknown folders), written into the flags dataset (source=landing).")],
)
def landing_flags(context: AssetExecutionContext, ldis: LdisSettings):
    """Runs with the register (before any cycle's collection), over the whole landing zone."""
    settings = ldis.get()
    rawstore.ensure_datasets(settings.validated_dir, rawstore.VALIDATED_SCHEMAS)
    anomalies = audit_landing(settings.landing)
    counts = write_landing_flags(settings.validated_dir, anomalies)
    for anomaly in anomalies:
        context.log.warning(f"not read: {anomaly.relative!r}: {anomaly.detail}")
    yield MaterializeResult(asset_key=AssetKey(["validated", "landing_flags"]),
                            metadata={"entries_not_read": len(anomalies), **{f"cycle {k}": v for k, v in counts.items()}})
