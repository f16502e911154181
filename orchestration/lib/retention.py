"""Retention of incident records (Use of Force Act s.6(6): kept three years from the date made).

`plan_retention` lists what is past the period; `apply_retention` deletes it only when asked
(`ldis retention --delete`; the default is a dry run). An incident is past the period when the
latest `record_updated_at` of all its versions is more than three years before `today`.

Deleting: the expired rows are removed from the raw layer (each `incident_rows` part is rewritten
without them), archived feed files whose every row has expired are deleted, and the validated
datasets are rebuilt from what remains. Aggregates already published are kept: the
restrictive_practice_monthly cells of the affected provider-months are first copied to the
`retained_monthly` dataset, which the mart keeps showing for months no longer held in detail.
The landing zone is the provider's copy: the operator removes expired files there too, or the next
run archives their bytes again (they are never re-read: their hashes are known).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import duckdb

from orchestration.lib import rawstore
from orchestration.lib.incidents import current_rows_sql, validate_feeds
from orchestration.settings import Settings

RETENTION_YEARS = 3


@dataclass
class RetentionPlan:
    cutoff: dt.date
    expired_incidents: int = 0
    expired_rows: int = 0
    by_provider: dict[str, int] = field(default_factory=dict)
    archive_files: list[str] = field(default_factory=list)  # hashes whose every row has expired
    months: list[tuple[str, str]] = field(default_factory=list)  # (provider, month) losing detail

    def describe(self) -> str:
        lines = [f"retention cutoff: records last updated before {self.cutoff.isoformat()}",
                 f"expired incidents: {self.expired_incidents} ({self.expired_rows} rows)"]
        lines += [f"  {provider}: {count} incidents" for provider, count in sorted(self.by_provider.items())]
        lines.append(f"archived feed files to delete: {len(self.archive_files)}")
        lines.append(f"provider-months whose monthly aggregates are retained: {len(self.months)}")
        return "\n".join(lines)


def cutoff_date(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - RETENTION_YEARS, day=28)


def _expired_sql(settings: Settings, cutoff: dt.date) -> str:
    """Every version to delete (file_hash, row_number, provider_code, incident_id): an incident's
    versions when its latest update over every version is before the cutoff; a version without an
    incident id (quarantined, I01: it belongs to no incident) when its own update is. Unreadable
    dates never expire a record."""
    rows = rawstore.glob(settings.raw_dir, "incident_rows")
    # the cutoff day begins at midnight in England (two records of one local day expire together)
    before = f"timezone('Europe/London', timestamp '{cutoff.isoformat()} 00:00:00')"
    return f"""
        with versions as (
            select file_hash, row_number, provider_code, incident_id, record_updated_at
            from read_parquet('{rows}', union_by_name = true)
        ),
        incidents as (
            select provider_code, incident_id
            from versions
            where incident_id is not null
            group by provider_code, incident_id
            having max(record_updated_at) < {before} and count(*) = count(record_updated_at)
        )
        select v.file_hash, v.row_number, v.provider_code, v.incident_id
        from versions as v
        left join incidents as i on v.provider_code = i.provider_code and v.incident_id = i.incident_id
        where i.incident_id is not null or (v.incident_id is null and v.record_updated_at < {before})
    """


def plan_retention(settings: Settings, today: dt.date) -> RetentionPlan:
    plan = RetentionPlan(cutoff=cutoff_date(today))
    rows = rawstore.glob(settings.raw_dir, "incident_rows")
    if not (settings.raw_dir / "incident_rows").exists():
        return plan
    with duckdb.connect() as con:
        con.execute(f"create temp table expired as {_expired_sql(settings, plan.cutoff)}").fetchall()
        plan.expired_incidents, plan.expired_rows = con.execute(
            "select count(distinct (provider_code, incident_id)) filter (where incident_id is not null), count(*) "
            "from expired").fetchall()[0]
        plan.by_provider = dict(con.execute(
            "select provider_code, count(distinct incident_id) from expired where incident_id is not null "
            "group by provider_code").fetchall())
        plan.archive_files = [h for (h,) in con.execute(f"""
            select r.file_hash
            from read_parquet('{rows}', union_by_name = true) as r
            left join expired as e on r.file_hash = e.file_hash and r.row_number = e.row_number
            group by r.file_hash
            having count(*) = count(e.file_hash)
            order by r.file_hash
        """).fetchall()]
        plan.months = [tuple(m) for m in con.execute(f"""
            select distinct i.provider_code, i.month
            from ({current_rows_sql(settings.raw_dir, settings.validated_dir)}) as i
            join (select distinct provider_code, incident_id from expired) as e
                on i.provider_code = e.provider_code and i.incident_id = e.incident_id
            order by 1, 2
        """).fetchall()]
    return plan


def apply_retention(settings: Settings, plan: RetentionPlan) -> None:
    """Delete what the plan lists (call only when the operator asked for it)."""
    if not plan.expired_rows:
        return
    _retain_monthly_aggregates(settings, plan)
    expired = _expired_sql(settings, plan.cutoff)
    with duckdb.connect() as con:
        con.execute(f"create temp table expired as {expired}").fetchall()
        for part in sorted((settings.raw_dir / "incident_rows").rglob("part-*.parquet")):
            temporary = part.with_name(f".{part.name}.retention.tmp")
            con.execute(f"""
                copy (
                    select r.* from read_parquet('{part}', hive_partitioning = false) as r
                    anti join expired as e on r.file_hash = e.file_hash and r.row_number = e.row_number
                ) to '{temporary}' (format parquet, compression zstd)
            """).fetchall()
            os.replace(temporary, part)
        # an archived file goes only when no row of it is left: a file received since the plan may
        # have kept one of its incidents (a later update), and a row never loses its bytes
        left = {h for (h,) in con.execute(
            f"select distinct file_hash from read_parquet('{rawstore.glob(settings.raw_dir, 'incident_rows')}', "
            "union_by_name = true)").fetchall()}
    for file_hash in (h for h in plan.archive_files if h not in left):
        path = settings.archive_dir / file_hash[:2] / file_hash
        if path.exists():
            path.chmod(0o644)
            path.unlink()
    # rebuild the validated datasets from what remains (same register and bed days as last run)
    validate_feeds(settings, rawstore.read(settings.validated_dir, "providers"),
                   rawstore.read(settings.validated_dir, "incident_bed_days"))


def _retain_monthly_aggregates(settings: Settings, plan: RetentionPlan) -> None:
    """Copy the affected provider-months of restrictive_practice_monthly into `retained_monthly`."""
    if not plan.months or not settings.working_db.exists():
        return
    # a file per run (a second run with the same cutoff must not replace the first's cells: their
    # detail is gone), written under a temporary name and renamed, so it is whole or absent
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    target = settings.validated_dir / "retained_monthly" / f"retained-{plan.cutoff.isoformat()}-{stamp}.parquet"
    temporary = target.with_name(f".{target.name}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    months = ", ".join(f"('{p}', '{m}')" for p, m in plan.months)
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        con.execute(f"""
            copy (
                select provider_code, month, intervention_type, incidents, people, total_minutes
                from marts.restrictive_practice_monthly
                where (provider_code, month) in (select * from (values {months}))
            ) to '{temporary}' (format parquet)
        """).fetchall()
    os.replace(temporary, target)
