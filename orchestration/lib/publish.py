"""Write-audit-publish, per cycle.

1. *write*: a cycle's rows of the marts are copied from the working database into a candidate
   folder (`candidates/cycle=YYYY/`);
2. *audit*: invariants are checked on the candidate (the Dagster blocking check calls `audit`);
3. *publish*: a passing candidate replaces `published/cycle=YYYY/` (a failing one leaves the last
   published rows in place), and a new snapshot file is built from every published cycle and swapped
   onto the analysts' warehouse file with `os.replace`, so a reader sees the old file or the new one,
   never half of either.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib.catalogue import items, read_catalogue
from orchestration.lib.faults import crash_point

# Marts copied per cycle into the published snapshot (each has a cycle_year column).
CYCLE_MARTS = (
    "national_indicators", "participation", "data_quality_annex",
    # issue 5: tables 1-4, year on year and the per-trust figures (built from published cycles only)
    "standard_1_rights", "standard_2_inclusion", "standard_3_workforce", "standard_4_specialist",
    "indicator_year_on_year", "trust_indicators",
)
# Marts copied whole from the working database at every snapshot (the analysts' working data).
CURRENT_MARTS = ("validation_flags", "validation_flag_history", "flag_response_problems", "rule_evaluations")
# Restrictive practice (issue 6), copied whole like CURRENT_MARTS when the working database has them
# (a failed dbt build is already a run problem): aggregates and alerts only, never person_key.
INCIDENT_MARTS = (
    "restrictive_practice_monthly", "restrictive_practice_annual", "restrictive_practice_spc",
    "practice_alerts", "commissioner_restrictive_practice",
)
# Indicator sources the warehouse builds; the audit expects every catalogue indicator of these.
PUBLISHED_SOURCES = ("org_return", "org_return_activity", "staff_survey", "service_user_survey")


@dataclass
class AuditResult:
    cycle_year: int
    problems: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems


def candidate_dir(state: Path, cycle_year: int) -> Path:
    return state / "candidates" / f"cycle={cycle_year}"


def published_cycle_dir(published: Path, cycle_year: int) -> Path:
    return published / f"cycle={cycle_year}"


def write_candidate(working_db: Path, state: Path, cycle_year: int) -> dict[str, int]:
    """Copy the cycle's mart rows into a fresh candidate folder; returns row counts."""
    target = candidate_dir(state, cycle_year)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    counts: dict[str, int] = {}
    with duckdb.connect(str(working_db), read_only=True) as con:
        for table in CYCLE_MARTS:
            path = target / f"{table}.parquet"
            con.execute(
                f"copy (select * from marts.{table} where cycle_year = ? order by all) "
                f"to '{path}' (format parquet)",
                [cycle_year],
            )
            counts[table] = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]
    return counts


def expected_indicators(cycle_year: int) -> set[str]:
    """Catalogue indicators of the published sources whose item exists in the cycle."""
    first_cycle = {item_id: item.first_cycle for item_id, item in items().items()}
    return {
        row["indicator_id"]
        for row in read_catalogue("indicators")
        if row["source"] in PUBLISHED_SOURCES and first_cycle.get(row["item_id"], 0) <= cycle_year
    }


def audit(state: Path, cycle_year: int) -> AuditResult:
    """The invariants a cycle must meet before publication."""
    folder = candidate_dir(state, cycle_year)
    result = AuditResult(cycle_year)
    indicators_path = str(folder / "national_indicators.parquet")
    participation_path = str(folder / "participation.parquet")
    with duckdb.connect() as con:
        present = {row[0] for row in con.execute(
            "select indicator_id from read_parquet(?)", [indicators_path]).fetchall()}
        result.rows["national_indicators"] = len(present)
        missing = sorted(expected_indicators(cycle_year) - present)
        if missing:
            result.problems.append(f"{len(missing)} catalogue indicators missing: {', '.join(missing[:10])}")
        checks = {
            "duplicate indicator rows": "select indicator_id from read_parquet(?) group by 1 having count(*) > 1",
            "numerator above denominator": "select indicator_id from read_parquet(?) "
            "where numerator is not null and denominator is not null and numerator > denominator "
            "and unit = 'percent'",
            "negative figures": "select indicator_id from read_parquet(?) "
            "where value < 0 or numerator < 0 or denominator < 0",
            "percentage above 100": "select indicator_id from read_parquet(?) where unit = 'percent' and value > 100",
            "value without denominator": "select indicator_id from read_parquet(?) "
            "where value is not null and (denominator is null or denominator = 0)",
        }
        for label, query in checks.items():
            offending = sorted({row[0] for row in con.execute(query, [indicators_path]).fetchall()})
            if offending:
                result.problems.append(f"{label}: {', '.join(offending[:10])}")
        totals = con.execute(
            "select sum(registered_trusts) filter (where org_type <> 'all' and provider_type <> 'all'), "
            "max(registered_trusts) filter (where org_type = 'all' and provider_type = 'all'), count(*) "
            "from read_parquet(?)", [participation_path],
        ).fetchone()
        result.rows["participation"] = totals[2]
        if totals[2] == 0:
            result.problems.append("participation table is empty")
        elif totals[0] != totals[1]:
            result.problems.append(f"participation peer groups sum to {totals[0]}, total row says {totals[1]}")
    (folder / "audit.json").write_text(json.dumps({"passed": result.passed, "problems": result.problems}))
    return result


def promote(state: Path, published: Path, cycle_year: int) -> None:
    """Replace the cycle's published folder with its audited candidate (rename-based)."""
    source = candidate_dir(state, cycle_year)
    target = published_cycle_dir(published, cycle_year)
    incoming = target.with_name(target.name + ".incoming")
    outgoing = target.with_name(target.name + ".outgoing")
    recover(published)  # a crash between the renames last time: the old rows go back first
    shutil.copytree(source, incoming)
    if target.exists():
        os.replace(target, outgoing)
    crash_point("publish.between_renames")
    os.replace(incoming, target)
    shutil.rmtree(outgoing, ignore_errors=True)


def recover(published: Path) -> None:
    """After a crash between the two renames of `promote`, put the previous rows back."""
    for outgoing in published.glob("cycle=*.outgoing"):
        target = outgoing.with_name(outgoing.name.removesuffix(".outgoing"))
        if not target.exists():
            os.replace(outgoing, target)
        else:
            shutil.rmtree(outgoing, ignore_errors=True)
    for incoming in published.glob("cycle=*.incoming"):
        shutil.rmtree(incoming, ignore_errors=True)


def record_status(published: Path, cycle_year: int, status: str, reason: str) -> None:
    path = published / "status.json"
    statuses = json.loads(path.read_text()) if path.exists() else {}
    previous = statuses.get(str(cycle_year), {})
    if previous.get("status") == status and previous.get("reason") == reason:
        return  # unchanged: a re-run leaves the published status (and its time) as it was
    statuses[str(cycle_year)] = {
        "status": status, "reason": reason, "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(statuses, indent=2, sort_keys=True))
    os.replace(temporary, path)


def read_status(published: Path) -> dict[str, dict[str, str]]:
    path = published / "status.json"
    return json.loads(path.read_text()) if path.exists() else {}


def build_snapshot(published: Path, working_db: Path, warehouse: Path) -> dict[str, int]:
    """Build the analysts' file from every published cycle plus the current flags, then swap it in."""
    recover(published)
    for stale in warehouse.parent.glob(f".{warehouse.name}.*.building*"):
        stale.unlink(missing_ok=True)  # left by a run that died while building (and its WAL)
    temporary = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.building")
    counts: dict[str, int] = {}
    with duckdb.connect(str(temporary)) as con:
        con.execute("create schema marts")
        con.execute(f"attach '{working_db}' as working (read_only)")
        for table in CYCLE_MARTS:
            files = sorted(published.glob(f"cycle=*/{table}.parquet"))
            if files:
                paths = ", ".join(f"'{path}'" for path in files)
                # hive_partitioning off: the `cycle=YYYY` folders must not add a `cycle` column.
                con.execute(f"create table marts.{table} as select * from "
                            f"read_parquet([{paths}], hive_partitioning = false) order by all")
            else:
                con.execute(f"create table marts.{table} as select * from working.marts.{table} limit 0")
            counts[table] = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
        for table in CURRENT_MARTS:
            con.execute(f"create table marts.{table} as select * from working.marts.{table} order by all")
            counts[table] = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
        built = {name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'working' "
            "and table_schema = 'marts'").fetchall()}
        for table in (t for t in INCIDENT_MARTS if t in built):
            con.execute(f"create table marts.{table} as select * from working.marts.{table} order by all")
            counts[table] = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
        statuses = read_status(published)
        con.execute("create table marts.publication_status (cycle_year integer, status varchar, "
                    "reason varchar, recorded_at varchar)")
        for cycle, entry in sorted(statuses.items()):
            con.execute("insert into marts.publication_status values (?, ?, ?, ?)",
                        [int(cycle), entry["status"], entry["reason"], entry["recorded_at"]])
        con.execute("detach working")
    crash_point("snapshot.before_replace")
    os.replace(temporary, warehouse)
    return counts
