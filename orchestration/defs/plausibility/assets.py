"""Plausibility (R06-R10): a GX suite over the dbt-computed measures, after the first dbt build."""


from dagster import AssetDep, AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orchestration.defs.partitions import cycles, single_run
from orchestration.lib import plausibility
from orchestration.resources import LdisSettings


@multi_asset(
    specs=[
        AssetSpec(["validated", "plausibility_flags"], group_name="org_returns",
                  deps=[AssetDep(["intermediate", plausibility.CHECKS_MODEL]),
                        AssetDep(["intermediate", "int_org_return_versions_ranked"])],
                  description="Warnings R06-R10 on each trust's current return (flags/source=plausibility/)."),
        AssetSpec(["validated", "rule_evaluations"], group_name="org_returns",
                  deps=[AssetDep(["intermediate", plausibility.CHECKS_MODEL])],
                  description="Which plausibility rules were evaluated, and why not where not (R10)."),
    ],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def plausibility_checks(context: AssetExecutionContext, ldis: LdisSettings):
    """Peer outliers (R06), year-on-year jumps (R07), Yes-to-No (R08), unexpected zeros (R09) and the
    incident-feed cross-check (R10, or 'not evaluated' with the reason)."""
    settings = ldis.get()
    years = [int(key) for key in context.partition_keys]
    checks = plausibility.read_checks(settings.working_db, years)
    totals = plausibility.incident_totals(settings.working_db)
    outcome = plausibility.evaluate(checks, totals, years)
    metadata: dict[str, str] = {}
    for year in years:
        flags = [f for f in outcome.flags if f["cycle_year"] == year]
        plausibility.write_cycle(settings.validated_dir, year, flags, outcome.evaluations,
                                 plausibility.current_version_hashes(settings.working_db, year))
        by_rule: dict[str, int] = {}
        for flag in flags:
            by_rule[str(flag["rule_id"])] = by_rule.get(str(flag["rule_id"]), 0) + 1
        skipped = [e["detail"] for e in outcome.evaluations if e["cycle_year"] == year and e["status"] == "not_evaluated"]
        metadata[str(year)] = f"flags {by_rule}; not evaluated: {len(skipped)}"
        context.log.info(f"cycle {year}: {metadata[str(year)]}")
    for key in (["validated", "plausibility_flags"], ["validated", "rule_evaluations"]):
        yield MaterializeResult(asset_key=AssetKey(key), metadata=metadata)
