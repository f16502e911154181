"""Validate: file rules F01-F06 and the GX suites for the item rules, per cycle."""


from dagster import AssetDep, AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orchestration.defs.partitions import cycles, single_run
from orchestration.defs.validation_cycles import cycles_to_validate
from orchestration.lib.org_returns import validate_org_returns
from orchestration.resources import LdisSettings

VALIDATED_RETURNS = ["org_return_versions", "org_return_items", "flags"]


@multi_asset(
    specs=[
        AssetSpec(["validated", name], group_name="org_returns",
                  deps=[AssetDep(["raw", "org_return_files"]), AssetDep(["raw", "org_return_responses"]),
                        AssetDep(["validated", "register_organisations"]), AssetDep(["validated", "participants"])],
                  description=description)
        for name, description in [
            ("org_return_versions", "Accepted workbooks (no file-level error) with their Submitted at."),
            ("org_return_items", "The prepared item frame the GX suite validated, for every accepted version."),
            ("flags", "Every flag raised on every file and workbook version (file rules and GX item rules)."),
        ]
    ],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def org_return_validation(context: AssetExecutionContext, ldis: LdisSettings):
    """Judge every workbook of the cycle (F01-F06), then its items with the GX suites (R01-R05)."""
    settings = ldis.get()
    metadata: dict[str, str] = {}
    for cycle_year, organisations, participants in cycles_to_validate(context, settings, "workbook", metadata):
        summary = validate_org_returns(settings.raw_dir, settings.validated_dir, cycle_year, organisations,
                                       participants)
        metadata[str(cycle_year)] = f"{summary.accepted}/{summary.workbooks} accepted; flags {summary.flags_by_rule}"
        context.log.info(f"cycle {cycle_year}: {metadata[str(cycle_year)]}")
    for name in VALIDATED_RETURNS:
        yield MaterializeResult(asset_key=AssetKey(["validated", name]), metadata=metadata)
