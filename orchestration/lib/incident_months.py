"""The incident feeds month by month: the unit Dagster partitions, re-runs and audits.

Ingest is driven by files (a file may hold any months) and validation judges every version at once
(an amendment can move an intervention to another month), so neither is cut by month. What is cut
by month is the audit: GX's `incident_feed` suite (expectations/incident_feed.json) run on a pandas
frame of one month's versions, compared row by row with the SQL quarantine that the pipeline
relies on. GX cannot validate ten million rows in one frame, but a month fits.

- `incidents.write_month_index` (part of validation): per month, the versions judged and the last
  file that added one, the month's fingerprint.
- `months_to_audit`: the months whose fingerprint differs from the one their last audit saw.
- `audit_months`: the audit, one record per month, each month's partition replaced whole, so
  re-auditing a month is idempotent (same versions, same record).

The error rules (I01-I03) judge a version on its own fields, so a month's audit depends only on the
versions that start in it. Versions whose `start_at` is missing or unreadable have no month (all
I01): they are audited under the key `undated`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.incidents import MONTH_KEY, connect, judged_rows_sql, rereads_by_month, sql_literal
from orchestration.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

# GX validates a pandas frame in memory: months are audited together up to this many versions (one
# GX run each, as each run has a fixed cost), a larger month alone. At national scale the busiest
# month holds ~230,000 versions (benchmarks/incidents_gx_month.py).
FRAME_ROWS = 250_000
SHOWN_DISAGREEMENTS = 10
AUDIT_SCHEMA = rawstore.VALIDATED_SCHEMAS["incident_month_audit"]


def months_to_audit(validated: Path) -> dict[str, str]:
    """Months never audited, or whose versions changed since their last audit, or re-read since (the
    re-read deletes the audit record), in order, each with its fingerprint ("<versions>v<last
    archive_seq>", then "r<re-reads>" once re-read: the sensor's run key, which Dagster never runs
    twice, so a re-read month must not give the key of the audit before it)."""
    if not (validated / "incident_months").is_dir():
        return {}  # no validation yet
    index = rawstore.read(validated, "incident_months")
    audited = rawstore.read(validated, "incident_month_audit").select("month", "versions", "last_archive_seq")
    stale = index.join(audited, on=["month", "versions", "last_archive_seq"], how="anti").sort("month")
    rereads = dict(rereads_by_month(validated))
    return {month: f"{versions}v{last}" + (f"r{rereads[month]}" if rereads.get(month) else "")
            for month, versions, last in stale.iter_rows()}


def indexed_months(validated: Path) -> list[str]:
    return sorted(rawstore.read(validated, "incident_months")["month"].to_list())


def partition_changes(validated: Path, known: list[str]) -> tuple[list[str], list[str]]:
    """(new, gone): the months validation found that are not yet partitions (in order), and the
    partitions whose month it no longer holds a version of (retention deleted them; their audit
    records went with them, so the partitions go too). Neither before a validation."""
    if not (validated / "incident_months").is_dir():
        return [], []
    held = indexed_months(validated)
    existing, kept = set(known), set(held)
    return [month for month in held if month not in existing], [month for month in known if month not in kept]


def _batches(months: list[str], sizes: dict[str, int]) -> list[list[str]]:
    """Consecutive months grouped up to FRAME_ROWS versions (a larger month alone)."""
    batches: list[list[str]] = []
    rows = 0
    for month in months:
        if batches and rows + sizes.get(month, 0) <= FRAME_ROWS:
            batches[-1].append(month)
            rows += sizes.get(month, 0)
        else:
            batches.append([month])
            rows = sizes.get(month, 0)
    return batches


def _judged_frame(settings: Settings, months: list[str]) -> pd.DataFrame:
    """The months' versions as GX reads them, with the SQL's verdict (error_rule) beside."""
    raw = settings.raw_dir
    judged = judged_rows_sql(rawstore.glob(raw, "incident_rows"), rawstore.glob(raw, "incident_files"))
    wanted = ", ".join(sql_literal(m) for m in months)
    with connect(settings.state / "duckdb_tmp") as con:
        # instants as epoch seconds (float): GX's column-pair check fails on pyarrow-backed timestamps
        frame = con.sql(f"""
            select cast(row_number() over (order by file_hash, row_number) as bigint) as row_id,
                   {MONTH_KEY} as month_key, landing_path, row_number, archive_seq,
                   incident_id, intervention_seq as seq, person_key, intervention_type, reason,
                   epoch(record_updated_at) as updated_utc, epoch(start_at) as start_utc,
                   epoch(start_at) as start_epoch, epoch(end_at) as end_epoch,
                   epoch(archived_at) as received_epoch, error_rule
            from ({judged}) where {MONTH_KEY} in ({wanted})
        """).df()
    for column in ("incident_id", "person_key", "intervention_type", "reason"):
        frame[column] = frame[column].astype(object)
    return frame


@dataclass(frozen=True)
class GxVerdict:
    """Row ids (of `_judged_frame`) that GX's suite fails and that the SQL quarantines."""
    gx_failed: set[int]
    sql_failed: set[int]


def gx_verdict(frame: pd.DataFrame) -> GxVerdict:
    """GX's suite on a frame of `_judged_frame`, beside the SQL's verdict."""
    from orchestration.lib.gx_runner import run_suite

    sql_failed = set(frame.loc[frame["error_rule"].notna(), "row_id"].astype(int))
    suite_columns = [c for c in frame.columns if c not in ("month_key", "landing_path", "row_number",
                                                           "archive_seq", "error_rule")]
    gx_failed = {row_id for failure in run_suite("incident_feed", frame[suite_columns])
                 for row_id in failure.row_ids}
    return GxVerdict(gx_failed, sql_failed)


def gx_audit(settings: Settings, month: str | None = None) -> GxVerdict:
    """GX against SQL over every version received (or those of one month)."""
    months = indexed_months(settings.validated_dir) if month is None else [month]
    return gx_verdict(_judged_frame(settings, months))


def _month_record(month: str, frame: pd.DataFrame, verdict: GxVerdict) -> dict[str, object]:
    ids = set(frame["row_id"].astype(int))
    gx_failed, sql_failed = verdict.gx_failed & ids, verdict.sql_failed & ids
    by_id = frame.set_index("row_id")
    differing = sorted(gx_failed ^ sql_failed, key=lambda i: (by_id.at[i, "landing_path"] or "",
                                                              int(by_id.at[i, "row_number"])))
    shown = [f"{by_id.at[i, 'landing_path']} row {int(by_id.at[i, 'row_number'])} "
             f"({'GX only' if i in gx_failed else 'SQL only'})" for i in differing[:SHOWN_DISAGREEMENTS]]
    return {"month": month, "versions": len(ids),
            "last_archive_seq": int(frame["archive_seq"].max()) if len(ids) else None,
            "sql_quarantined": len(sql_failed), "gx_failed": len(gx_failed), "disagreements": len(differing),
            "agrees": not differing, "disagreeing_rows": "; ".join(shown) or None}


def audit_months(settings: Settings, months: list[str]) -> pl.DataFrame:
    """Audit each month (GX against SQL) and replace its partition of incident_month_audit; the
    records written. A month with no versions left (all deleted by retention) is recorded empty."""
    sizes = dict(rawstore.read(settings.validated_dir, "incident_months").select("month", "versions").iter_rows())
    records: list[dict[str, object]] = []
    for batch in _batches(sorted(set(months)), sizes):
        frame = _judged_frame(settings, batch)
        verdict = gx_verdict(frame)
        for month in batch:
            part = frame[frame["month_key"] == month]
            record = _month_record(month, part, verdict)
            rawstore.replace_partition(settings.validated_dir, "incident_month_audit",
                                       pl.DataFrame([record], schema=AUDIT_SCHEMA), f"month={month}")
            records.append(record)
    return pl.DataFrame(records, schema=AUDIT_SCHEMA)
