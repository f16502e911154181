"""Ingest trusts' answers to their flag reports (<cycle>/flag_responses/)."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orchestration.defs.partitions import cycles, single_run
from orchestration.defs.returns.assets import open_archive
from orchestration.lib.flag_responses import ingest_flag_responses
from orchestration.resources import LdisSettings


@multi_asset(
    specs=[AssetSpec(["raw", "flag_responses"], group_name="org_returns",
                     description="Every answered row of every returned flag report (archived by hash).")],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def flag_responses(context: AssetExecutionContext, ldis: LdisSettings):
    settings = ldis.get()
    archive = open_archive(ldis)
    metadata = {}
    for key in context.partition_keys:
        rows = ingest_flag_responses(archive, settings.landing, settings.raw_dir, int(key))
        metadata[key] = f"{rows} new answered rows"
    yield MaterializeResult(asset_key=AssetKey(["raw", "flag_responses"]), metadata=metadata)
