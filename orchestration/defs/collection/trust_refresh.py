"""The trust refresh job: one trust's resubmission (or its answers) re-validated and its flag report
rewritten in seconds (orchestration/lib/trust_refresh.py). The landing sensor requests it, with the
cycle and trust as run tags, before the full collection run of the cycle; `ldis run` runs it first
when the only change in a cycle is one trust's."""

from dagster import AssetKey, AssetMaterialization, Failure, OpExecutionContext, job, op

from orchestration.defs.reports.assets import CYCLE_TAG, ORG_TAG
from orchestration.lib import trust_refresh
from orchestration.lib.model_replay import NotReplayable
from orchestration.resources import LdisSettings

# What the refresh rewrites, recorded as materializations scoped to the trust (the full run follows).
REFRESHED = [(["validated", "org_return_items"], True), (["validated", "flags"], True),
             (["validated", "plausibility_flags"], True), (["marts", "validation_flags"], True),
             (["flag_reports"], False)]


@op(description=__doc__)
def refresh_trust_flags(context: OpExecutionContext, ldis: LdisSettings) -> None:
    tags = context.run.tags
    if CYCLE_TAG not in tags or ORG_TAG not in tags:
        raise Failure(f"trust_refresh_job needs the run tags {CYCLE_TAG} and {ORG_TAG}")
    cycle_year, org_code = int(tags[CYCLE_TAG]), tags[ORG_TAG]
    try:
        outcome = trust_refresh.refresh_trust(ldis.get(), cycle_year, org_code)
    except NotReplayable as reason:
        # not an error: the full collection run requested with this one refreshes the report
        context.log.warning(f"trust refresh of {org_code} {cycle_year} not possible ({reason}); "
                            "the full collection run refreshes its report")
        return
    metadata = {"trust": org_code, "step_seconds": str(outcome.step_seconds),
                "plausibility_flags": str(outcome.flags_by_rule),
                "report_files": [str(p) for p in outcome.reports_written]}
    context.log.info(f"{org_code} {cycle_year} refreshed: {metadata}")
    for key, partitioned in REFRESHED:
        context.log_event(AssetMaterialization(asset_key=AssetKey(key), metadata=metadata,
                                               partition=str(cycle_year) if partitioned else None))


@job(description="Re-validate one trust's cycle and rewrite its flag report (run tags: cycle and trust).",
     tags={"dagster/priority": "10"})
def trust_refresh_job() -> None:
    refresh_trust_flags()
