"""Ingest: the register, each cycle's participants, and the organisational-return workbooks."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orchestration.defs.partitions import cycles, single_run
from orchestration.lib import rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.org_returns import ingest_org_returns
from orchestration.lib.register import ingest_participants, ingest_register
from orchestration.resources import LdisSettings


def open_archive(ldis: LdisSettings) -> Archive:
    settings = ldis.get()
    rawstore.ensure_datasets(settings.raw_dir, rawstore.SCHEMAS)
    rawstore.ensure_datasets(settings.validated_dir, rawstore.VALIDATED_SCHEMAS)
    return Archive(settings.archive_dir, settings.raw_dir)


@multi_asset(
    specs=[
        AssetSpec(["raw", "register_organisations"], group_name="collection",
                  description="Every version of register/organisations.csv received."),
        AssetSpec(["validated", "register_organisations"], group_name="collection",
                  description="The current register: the file in the landing zone now (empty without it)."),
    ],
)
def register_organisations(context: AssetExecutionContext, ldis: LdisSettings):
    """The organisation register, the only source of organisations for a run."""
    settings = ldis.get()
    outcome = ingest_register(open_archive(ldis), settings.landing, settings.raw_dir, settings.validated_dir)
    if outcome["error"]:
        context.log.error(str(outcome["error"]))
    for layer in ("raw", "validated"):
        yield MaterializeResult(asset_key=AssetKey([layer, "register_organisations"]),
                                metadata={k: str(v) for k, v in outcome.items()})


@multi_asset(
    specs=[
        AssetSpec(["raw", "participants"], group_name="collection",
                  description="Every version of each cycle's participants.csv received."),
        AssetSpec(["validated", "participants"], group_name="collection",
                  description="Trusts registered for each cycle: the participants.csv in the landing zone now."),
    ],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def participants(context: AssetExecutionContext, ldis: LdisSettings):
    settings = ldis.get()
    archive = open_archive(ldis)
    metadata: dict[str, str] = {}
    for key in context.partition_keys:
        outcome = ingest_participants(archive, settings.landing, int(key), settings.raw_dir, settings.validated_dir)
        if outcome["error"]:
            context.log.warning(str(outcome["error"]))
        metadata[key] = f"{outcome['participants']} participants" + (f"; {outcome['error']}" if outcome["error"] else "")
    for layer in ("raw", "validated"):
        yield MaterializeResult(asset_key=AssetKey([layer, "participants"]), metadata=metadata)


@multi_asset(
    specs=[
        AssetSpec(["raw", "org_return_files"], group_name="org_returns",
                  description="One row per distinct workbook: what its Cover says and whether it could be read."),
        AssetSpec(["raw", "org_return_responses"], group_name="org_returns",
                  description="Every Return-sheet row of every readable workbook, as text."),
    ],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def org_return_workbooks(context: AssetExecutionContext, ldis: LdisSettings):
    """Archive each cycle's workbooks by content hash and read the new ones into the raw layer."""
    settings = ldis.get()
    archive = open_archive(ldis)
    totals: dict[str, int] = {}
    for key in context.partition_keys:
        summary = ingest_org_returns(archive, settings.landing, settings.raw_dir, int(key))
        context.log.info(f"cycle {key}: {summary}")
        for field, value in vars(summary).items():
            totals[field] = totals.get(field, 0) + value
    for spec_key in (["raw", "org_return_files"], ["raw", "org_return_responses"]):
        yield MaterializeResult(asset_key=AssetKey(spec_key), metadata=totals)


received_files = AssetSpec(
    ["raw", "received_files"], group_name="collection",
    description="The receipts ledger: one row per (landing path, content hash) first seen, with the time of "
    "first archival. Appended by every ingest asset as it archives files.",
)
