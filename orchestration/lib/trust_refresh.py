"""One trust's resubmission (or its answers to its flag report): re-validate that trust, refresh its
flag report, in seconds.

The full run revalidates and rebuilds every cycle (about a minute on the national sample), and its
time grows with the number of trusts. This path does only what the trust's change can alter:

1. *ingest*: archive the cycle's files and read the new ones (by content hash, as the full run
   does; files already read are skipped, so this is the trust's new workbook or answers);
2. *validate*: the file rules over the cycle (a metadata scan, milliseconds) and the item rules
   R01-R05 through the GX suites on **that trust's versions only**; every other trust's items and
   flags are kept as they were;
3. *measures*: replay the dbt models between those datasets and the plausibility frame
   (`lib/model_replay.py`: dbt's own compiled SQL, no dbt invocation);
4. *plausibility*: R07-R10 and R06 for **that trust's rows** through the GX suite. R06 compares the
   trust with its peers *excluding itself*, so the trust's own peer figures do not move when it
   resubmits; the peers' R06 rows do move and are re-run by the nightly peer-rules schedule;
5. *statuses*: replay the flag-loop models (open / confirmed_by_trust / resolved_by_resubmission,
   history, the annex);
6. *report*: rewrite that trust's workbook and HTML page from the working database.

Anything else (indicators, surveys, publication) waits for the full collection run, which the
sensor also requests and which replaces everything this path wrote with dbt-built tables.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from orchestration.lib import flag_report, model_replay, plausibility, rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.flag_responses import ingest_flag_responses
from orchestration.lib.org_returns import ingest_org_returns, validate_org_returns
from orchestration.lib.register import current_organisations, current_participants
from orchestration.settings import Settings

# The datasets this path rewrites: the models to replay are those between them and the ends.
REWRITTEN_SOURCES = [
    "raw.org_return_files", "raw.org_return_responses", "raw.flag_responses", "validated.org_return_versions",
    "validated.org_return_items", "validated.flags", "validated.plausibility_flags", "validated.rule_evaluations",
]
FLAG_LOOP_TAG = "flag_loop"


@dataclass
class RefreshOutcome:
    cycle_year: int
    org_code: str
    reports_written: list[Path] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    replayed_rows: dict[str, int] = field(default_factory=dict)
    flags_by_rule: dict[str, int] = field(default_factory=dict)


def plan(settings: Settings) -> tuple[list[model_replay.ReplayModel], list[model_replay.ReplayModel]]:
    """(models up to the plausibility frame, the flag-loop models after them); raises NotReplayable
    when the last full build cannot be replayed (engine not DuckDB, project changed, no build)."""
    if settings.engine != "duckdb":
        raise model_replay.NotReplayable(f"the working tables are built on {settings.engine}, not in DuckDB")
    build = model_replay.last_build(settings.dbt_target_path)
    measures = build.models_between(REWRITTEN_SOURCES, [plausibility.CHECKS_MODEL])
    done = {m.name for m in measures}
    statuses = [m for m in build.models_between(REWRITTEN_SOURCES, build.models_tagged(FLAG_LOOP_TAG))
                if m.name not in done]
    return measures, statuses


def refresh_trust(settings: Settings, cycle_year: int, org_code: str) -> RefreshOutcome:
    """Re-validate one trust's cycle and rewrite its flag report (see the module's docstring)."""
    outcome = RefreshOutcome(cycle_year=cycle_year, org_code=org_code)

    @contextmanager
    def step(name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        outcome.step_seconds[name] = round(time.perf_counter() - began, 3)

    with step("plan"):
        measures, statuses = plan(settings)
    with step("ingest"):
        rawstore.ensure_datasets(settings.raw_dir, rawstore.SCHEMAS)
        archive = Archive(settings.archive_dir, settings.raw_dir)
        ingest_org_returns(archive, settings.landing, settings.raw_dir, cycle_year)
        ingest_flag_responses(archive, settings.landing, settings.raw_dir, cycle_year)
    with step("validate"):
        validate_org_returns(settings.raw_dir, settings.validated_dir, cycle_year,
                             current_organisations(settings.validated_dir),
                             current_participants(settings.validated_dir, cycle_year), only_org=org_code)
    with step("measures"), duckdb.connect(str(settings.working_db)) as con:
        outcome.replayed_rows.update(model_replay.replay(con, measures))
    with step("plausibility"):
        flags = _plausibility(settings, cycle_year, org_code)
        for flag in flags:
            outcome.flags_by_rule[str(flag["rule_id"])] = outcome.flags_by_rule.get(str(flag["rule_id"]), 0) + 1
    with step("statuses"), duckdb.connect(str(settings.working_db)) as con:
        outcome.replayed_rows.update(model_replay.replay(con, statuses))
    with step("report"):
        outcome.reports_written = flag_report.write_reports(settings.working_db, settings.reports,
                                                            [cycle_year], [org_code])
    return outcome


def _plausibility(settings: Settings, cycle_year: int, org_code: str) -> list[dict[str, object]]:
    """R06-R10 on the trust's rows of the replayed frame; its plausibility flags rewritten."""
    checks = plausibility.read_checks(settings.working_db, [cycle_year], org_code)
    totals = plausibility.incident_totals(settings.working_db)
    if totals is not None and totals.height:
        totals = totals.filter(pl.col("org_code").str.to_uppercase() == org_code)
    result = plausibility.evaluate(checks, totals, [cycle_year])
    plausibility.write_cycle(settings.validated_dir, cycle_year, result.flags, result.evaluations,
                             plausibility.current_version_hashes(settings.working_db, cycle_year),
                             only_org=org_code)
    return result.flags
