"""The staff and service-user surveys: ingest each cycle's export files, then validate them.

Both assets are partitioned by cycle (one run covers every requested cycle). Ingest archives every
file by hash and streams each new one into the raw layer; validation re-judges the whole cycle
(its decisions depend on the register, the participants and every file of the cycle) and writes
the validated responses, answers and the survey flags (`validated/flags/source=<survey>/...`).
"""

from dagster import AssetDep, AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orchestration.defs.partitions import cycles, single_run
from orchestration.defs.returns.assets import open_archive
from orchestration.defs.validation_cycles import cycles_to_validate
from orchestration.lib.surveys import ingest_survey, sources, validate_survey
from orchestration.resources import LdisSettings

RAW = {
    "survey_files": "One row per distinct survey CSV (both surveys): whether it could be read and how many rows.",
    "survey_rows": "Every CSV row of every readable export / batch: id, organisation and time as written and as an instant.",
    "survey_answers": "Every non-blank answer of every CSV row, long format (question_id, answer_raw).",
}
VALIDATED = {
    "survey_responses": "Every survey row received with its status: counted, duplicate_copy (Q01), quarantined (Q03) "
    "or over_cap (Q02). The survey flags (Q01-Q06, F01/F02) are written beside it in validated/flags.",
    "survey_answers": "Answers of the responses that count, screened by the GX suites (Q04 invalid, Q06 routed out).",
}


@multi_asset(
    specs=[AssetSpec(["raw", name], group_name="surveys", description=text) for name, text in RAW.items()],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def survey_exports(context: AssetExecutionContext, ldis: LdisSettings):
    """Archive each cycle's staff-survey exports and service-user batches; stream new files into raw."""
    settings = ldis.get()
    archive = open_archive(ldis)
    metadata: dict[str, str] = {}
    for key in context.partition_keys:
        for source in sources():
            summary = ingest_survey(archive, settings.landing, settings.raw_dir, int(key), source,
                                    settings.state / "scratch")
            metadata[f"{key} {source}"] = (f"{summary.files_read} new files, {summary.rows_read} rows; "
                                           f"unreadable {summary.unreadable}, bad header {summary.bad_header}")
            context.log.info(f"cycle {key} {source}: {summary}")
    for name in RAW:
        yield MaterializeResult(asset_key=AssetKey(["raw", name]), metadata=metadata)


@multi_asset(
    specs=[
        AssetSpec(["validated", name], group_name="surveys", description=text,
                  deps=[*(AssetDep(["raw", raw]) for raw in RAW),
                        AssetDep(["validated", "register_organisations"]), AssetDep(["validated", "participants"])])
        for name, text in VALIDATED.items()
    ],
    partitions_def=cycles,
    backfill_policy=single_run,
)
def survey_validation(context: AssetExecutionContext, ldis: LdisSettings):
    """Deduplicate, quarantine, cap and check the answers of each survey (GX suites, rules Q01-Q06)."""
    settings = ldis.get()
    metadata: dict[str, str] = {}
    for cycle_year, organisations, participants in cycles_to_validate(context, settings, "survey response",
                                                                       metadata):
        for source in sources():
            summary = validate_survey(settings.raw_dir, settings.validated_dir, cycle_year, source, organisations,
                                      participants, settings.state / "scratch")
            metadata[f"{cycle_year} {source}"] = (f"{summary.counted}/{summary.rows} rows count; "
                                                  f"flags {summary.flags_by_rule}")
            context.log.info(f"cycle {cycle_year} {source}: {metadata[f'{cycle_year} {source}']}")
    for name in VALIDATED:
        yield MaterializeResult(asset_key=AssetKey(["validated", name]), metadata=metadata)
