"""Run the whole pipeline through the Dagster asset graph, in this process (what `ldis run` does).

Kept apart from `cli.py` so tests and benchmarks call exactly what the command calls.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, Settings

# One run at a time: DuckDB has one writer, and the sensor, the schedules and the run-status
# sensor can all request runs (a trust refresh and the collection run after it, for example).
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""


# Dagster's console logger at WARNING: the command prints its own summary; the full event log is in
# the instance (the UI shows it).
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def step_durations(instance, run_id: str) -> dict[str, float]:
    """Seconds per step of a finished run, from the instance's step statistics."""
    return {
        stats.step_key: stats.end_time - stats.start_time
        for stats in instance.get_run_step_stats(run_id)
        if stats.start_time is not None and stats.end_time is not None
    }


LISTING_FILE = "landing_listing.json"  # the trust files the last complete run saw

# Blocking audit checks: their failure stops a cycle's publication, which the run reports as a status.
AUDIT_STEPS = ("cycle_candidate_candidate_passes_audit",)


@dataclass
class RunReport:
    cycles: list[int] = field(default_factory=list)
    published: dict[int, str] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    step_seconds: dict[str, float] = field(default_factory=dict)
    log_path: Path | None = None
    problems: list[str] = field(default_factory=list)
    # trusts whose flag reports were refreshed first (one trust's change in a cycle): "cycle/org" ->
    # seconds from the run noticing the change to the report on disk
    trust_refreshes: dict[str, float] = field(default_factory=dict)
    # incident-feed months audited by this run (GX against SQL), and those where the two disagree
    months_audited: list[str] = field(default_factory=list)
    months_disagreeing: list[str] = field(default_factory=list)


def prepare_manifest() -> Path:
    """Parse the dbt project if its manifest is missing or older than any project file.

    Dagster needs the manifest to know the dbt assets; building it is a `dbt parse` (~4.5 s), so
    it is done once here, never at import time."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    lock_path = DBT_PROJECT_DIR / ".manifest.lock"
    with lock_path.open("w") as lock:  # parallel test workers must not parse at the same time
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _prepare_manifest_locked(manifest)


def _prepare_manifest_locked(manifest: Path) -> Path:
    sources = [p for pattern in ("models/**/*", "macros/**/*", "tests/**/*", "*.yml")
               for p in DBT_PROJECT_DIR.glob(pattern) if p.is_file()]
    sources += list((DBT_PROJECT_DIR.parent / "seeds" / "catalogue").glob("*.csv"))
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in sources):
        return manifest
    env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
           "LDIS_WORKING_DB": os.environ.get("LDIS_WORKING_DB", "/tmp/ldis-parse.duckdb"),
           "LDIS_RAW_DIR": os.environ.get("LDIS_RAW_DIR", "/tmp/ldis-parse-raw"),
           "LDIS_VALIDATED_DIR": os.environ.get("LDIS_VALIDATED_DIR", "/tmp/ldis-parse-validated"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run([str(Path(sys.executable).with_name("dbt")), "parse", "--quiet"],
                   cwd=DBT_PROJECT_DIR, env=env, check=True)
    return manifest


def dagster_instance(settings: Settings):
    from dagster import DagsterInstance

    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return DagsterInstance.from_config(str(home))


def run_pipeline(settings: Settings) -> RunReport:
    """Ingest, validate, build, audit, publish and snapshot every cycle of the landing zone."""
    settings.ensure_dirs()
    report = RunReport()
    started = time.perf_counter()
    prepare_manifest()
    from orchestration.definitions import build_definitions  # Dagster's import cost counts in setup
    from orchestration.lib.gx_runner import warm_up

    definitions = build_definitions(settings)
    warm_up()  # every run validates with GX: its import (seconds) is paid here, once
    with dagster_instance(settings) as instance:
        return _run_jobs(settings, definitions, instance, report, started)


def _run_jobs(settings: Settings, definitions, instance, report: RunReport, started: float) -> RunReport:
    """The jobs of one run, in order, on one Dagster instance."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from orchestration.defs.partitions import cycles as cycles_partitions
    from orchestration.defs.reports.assets import ORG_TAG
    from orchestration.lib.landing import discover_cycles
    from orchestration.lib.publish import read_status

    report.cycles = discover_cycles(settings.landing)
    known = instance.get_dynamic_partitions(cycles_partitions.name)
    new = [str(c) for c in report.cycles if str(c) not in known]
    if new:
        instance.add_dynamic_partitions(cycles_partitions.name, new)
    report.stage_seconds["setup"] = time.perf_counter() - started

    log_dir = settings.state / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    report.log_path = log_dir / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"

    def timed(stage: str, job_name: str, **kwargs: object) -> bool:
        begun = time.perf_counter()
        # dbt's console lines (echoed by dagster-dbt) go to the run log, not the terminal.
        with report.log_path.open("a") as log, contextlib.redirect_stdout(log):
            result = definitions.resolve_job_def(job_name).execute_in_process(
                instance=instance, raise_on_error=False, run_config=QUIET, **kwargs)  # type: ignore[arg-type]
        report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + time.perf_counter() - begun
        for step, seconds in step_durations(instance, result.run_id).items():
            report.step_seconds[step] = report.step_seconds.get(step, 0.0) + seconds
        if not result.success:
            failed = [e.step_key for e in result.all_events if e.is_step_failure]
            # A failed audit is an outcome, not a failure to run: the cycle keeps its last published
            # rows and marts.publication_status says why.
            if any(step not in AUDIT_STEPS for step in failed) or not failed:
                report.problems.append(f"{job_name} {kwargs.get('partition_key', '')}: failed steps {failed}")
        return result.success

    timed("register", "register_job")
    listing = landing_listing(settings.landing, report.cycles)
    for cycle_year, tags in single_trust_changes(settings, listing).items():
        noticed = time.perf_counter()
        if timed("trust_refresh", "trust_refresh_job", tags=tags):
            report.trust_refreshes[f"{cycle_year}/{tags[ORG_TAG]}"] = time.perf_counter() - noticed
    timed("incidents", "incidents_job")  # before collect_job: its one dbt build reads the incident datasets
    if report.cycles:
        keys = [str(c) for c in report.cycles]
        ordered = [k for k in instance.get_dynamic_partitions(cycles_partitions.name) if k in keys]
        timed("collect", "collect_job", tags={ASSET_PARTITION_RANGE_START_TAG: ordered[0],
                                              ASSET_PARTITION_RANGE_END_TAG: ordered[-1]})
        for key in keys:
            timed("publish", "publish_cycle_job", partition_key=key)
    timed("snapshot", "snapshot_job")
    timed("reports", "reports_job")
    # last: the audit checks the SQL's verdicts that everything above already used, so it delays
    # nothing (a national first load audits ten million rows in about 50 s)
    _audit_incident_months(settings, instance, report, timed)
    if not report.problems:
        save_landing_listing(settings, listing)
    statuses = read_status(settings.published_dir)
    report.published = {c: statuses.get(str(c), {}).get("status", "not published") for c in report.cycles}
    report.stage_seconds["total"] = time.perf_counter() - started
    return report


def _audit_incident_months(settings: Settings, instance, report: RunReport, timed) -> None:
    """The months whose versions changed since their last audit (what the month sensor requests one
    run each for): new months become partitions (and months retention emptied stop being ones),
    then one run per stretch of consecutive stale partitions (a run covers a range of keys)."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from orchestration.defs.partitions import incident_months
    from orchestration.lib import incident_months as months_lib
    from orchestration.lib import rawstore

    new, gone = months_lib.partition_changes(settings.validated_dir,
                                             instance.get_dynamic_partitions(incident_months.name))
    for month in gone:
        instance.delete_dynamic_partition(incident_months.name, month)
    stale = list(months_lib.months_to_audit(settings.validated_dir))
    if not stale:
        return
    instance.add_dynamic_partitions(incident_months.name, new)
    keys = instance.get_dynamic_partitions(incident_months.name)
    for stretch in _stretches(keys, set(stale)):
        timed("incident_months", "incident_months_job", tags={ASSET_PARTITION_RANGE_START_TAG: stretch[0],
                                                              ASSET_PARTITION_RANGE_END_TAG: stretch[-1]})
    audits = rawstore.read(settings.validated_dir, "incident_month_audit")
    report.months_audited = stale
    report.months_disagreeing = sorted(audits.filter(~audits["agrees"])["month"].to_list())


def _stretches(keys: list[str], wanted: set[str]) -> list[list[str]]:
    """The wanted keys as runs of consecutive keys in the partition order."""
    stretches: list[list[str]] = []
    previous_wanted = False
    for key in keys:
        if key in wanted:
            if previous_wanted:
                stretches[-1].append(key)
            else:
                stretches.append([key])
        previous_wanted = key in wanted
    return stretches


# ---------------------------------------------------------------- one trust's change, noticed by a run

def landing_listing(landing: Path, cycle_years: list[int]) -> dict[str, dict[str, str]]:
    """Each cycle's trust files (org returns, flag responses) with their size and time."""
    from orchestration.defs.collection.trust_changes import cycle_files

    return {str(cycle): cycle_files(landing, cycle) for cycle in cycle_years}


def single_trust_changes(settings: Settings, listing: dict[str, dict[str, str]]) -> dict[int, dict[str, str]]:
    """Cycles whose only change since the last complete run is one trust's files: the run tags of
    that trust's refresh (the same rule as the landing sensor's)."""
    from orchestration.defs.collection.trust_changes import trust_tags
    from orchestration.lib.model_replay import NotReplayable
    from orchestration.lib.trust_refresh import plan

    path = settings.state / LISTING_FILE
    previous: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.is_file() else {}
    changes: dict[int, dict[str, str]] = {}
    for cycle, files in listing.items():
        if cycle in previous:
            tags = trust_tags(settings.landing, int(cycle), previous[cycle], files)
            if tags:
                changes[int(cycle)] = tags
    if changes:
        try:
            plan(settings)
        except NotReplayable:
            return {}  # no fast path (another engine, a changed dbt project): the full run refreshes reports
    return changes


def save_landing_listing(settings: Settings, listing: dict[str, dict[str, str]]) -> None:
    """What this run saw (taken before it ingested, so a file arriving mid-run counts as new next time)."""
    temporary = settings.state / f".{LISTING_FILE}.tmp"
    temporary.write_text(json.dumps(listing, sort_keys=True))
    temporary.replace(settings.state / LISTING_FILE)
