"""The collection calendar (seeds/catalogue/cycle_calendar.csv) drives two schedules and one chain:

* `nightly_peer_rules`: every night while a cycle's window is open, re-run the plausibility rules
  (R06's peer quartiles move as other trusts submit and resubmit) and the flag models;
* `publish_after_window`: each morning, publish every cycle whose window has closed and whose
  publication date has come, through write-audit-publish;
* `refresh_snapshot_and_reports`: after any of those runs (and after a sensor-triggered
  collection) succeeds, swap in a new snapshot and rewrite the flag reports - only the changed
  trust's report when the run carries its tags.
"""

from __future__ import annotations

import datetime as dt

from dagster import (
    DagsterRunStatus,
    RunRequest,
    RunStatusSensorContext,
    ScheduleEvaluationContext,
    SkipReason,
    run_status_sensor,
    schedule,
)

from orchestration.defs.jobs import collect_job, peer_rules_job, publish_cycle_job, snapshot_job
from orchestration.defs.partitions import cycles
from orchestration.defs.reports.assets import CYCLE_TAG, ORG_TAG
from orchestration.lib.catalogue import cycle_window, read_catalogue
from orchestration.lib.publish import read_status
from orchestration.resources import LdisSettings


def open_cycles(known: list[str], today: dt.date) -> list[str]:
    """Cycles (partitions) whose collection window is open on `today`."""
    return [key for key in known
            if cycle_window(int(key)).window_opens <= today <= cycle_window(int(key)).window_closes]


def publication_dates() -> dict[int, dt.date]:
    return {int(row["cycle_year"]): dt.date.fromisoformat(row["publication_date"])
            for row in read_catalogue("cycle_calendar") if row.get("publication_date")}


def due_for_publication(known: list[str], today: dt.date, statuses: dict[str, dict[str, str]]) -> list[str]:
    """Closed cycles whose publication date (calendar seed; else the day after the window closes)
    has come and that are not published yet."""
    dates = publication_dates()
    due = []
    for key in known:
        window = cycle_window(int(key))
        publish_on = dates.get(int(key), window.window_closes + dt.timedelta(days=1))
        if window.is_closed(today) and today >= publish_on and statuses.get(key, {}).get("status") != "published":
            due.append(key)
    return due


def _today(context: ScheduleEvaluationContext) -> dt.date:
    return (context.scheduled_execution_time or dt.datetime.now(dt.UTC)).date()


@schedule(job=peer_rules_job, cron_schedule="0 2 * * *", execution_timezone="Europe/London",
          description="Re-run the plausibility rules (R06 peer outliers) nightly for cycles whose window is open.")
def nightly_peer_rules(context: ScheduleEvaluationContext):
    today = _today(context)
    keys = open_cycles(context.instance.get_dynamic_partitions(cycles.name), today)
    if not keys:
        return SkipReason(f"no collection window open on {today.isoformat()}")
    return [RunRequest(partition_key=key, run_key=f"peer-rules-{key}-{today.isoformat()}") for key in keys]


@schedule(job=publish_cycle_job, cron_schedule="0 6 * * *", execution_timezone="Europe/London",
          description="Publish each cycle (write-audit-publish) once its window has closed and its "
          "publication date has come.")
def publish_after_window(context: ScheduleEvaluationContext, ldis: LdisSettings):
    today = _today(context)
    statuses = read_status(ldis.get().published_dir)
    keys = due_for_publication(context.instance.get_dynamic_partitions(cycles.name), today, statuses)
    if not keys:
        return SkipReason(f"no cycle due for publication on {today.isoformat()}")
    return [RunRequest(partition_key=key, run_key=f"publish-{key}-{today.isoformat()}") for key in keys]


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[collect_job, peer_rules_job, publish_cycle_job],
                   request_job=snapshot_job, description=__doc__)
def refresh_snapshot_and_reports(context: RunStatusSensorContext):
    tags = {key: value for key, value in context.dagster_run.tags.items() if key in (CYCLE_TAG, ORG_TAG)}
    return RunRequest(run_key=f"snapshot-after-{context.dagster_run.run_id}", tags=tags)
