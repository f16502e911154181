"""Restrictive-practice incident feeds: ingest, pseudonymise, validate (I01-I08), apply amendments.

Stages (each a function; the Dagster asset calls them in order):

1. *ingest* (`ingest_feeds`): every file under `incidents/<provider_code>/` is archived by hash; each
   file of a registered provider whose bytes were not read before is read with DuckDB's CSV reader
   (all text, header matched by name), `person_ref` is replaced by `person_key` =
   HMAC-SHA256(key, provider_code ':' person_ref) - computed in Python once per distinct person and
   joined back in DuckDB - and the rows go to the raw dataset `incident_rows` (one Parquet part per
   batch). The raw `person_ref` is never written anywhere but the archive, which keeps the bytes
   received by contract and is access-controlled.
2. *validate* (`validate_feeds`): the row rules are SQL over every version in the raw layer (pushed
   down to DuckDB: no Python loop over rows). Rows failing I01-I03 are quarantined; the current
   version of (provider, incident, seq) is the valid row with the latest `record_updated_at`
   (then the later archived file, then the later row). Naive times are Europe/London by a table of
   offsets (`london_offsets`), not ICU per row. Streamed: only amended keys are ranked, the current
   rows go from the raw Parquet straight to month folders. Outputs are written whole, so reprocessing
   is idempotent: `validated/incident_interventions/month=YYYY-MM/`, `incident_quarantine`,
   `incident_bed_days`, `providers` and the incident flags under `validated/flags/source=incident/`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import hmac
import io
import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pyarrow as pa

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive, Receipt
from orchestration.lib.catalogue import render_message
from orchestration.lib.flags import make_flag
from orchestration.lib.landing import LandingFile, _files_under, _landing_file
from orchestration.settings import DEMO_PSEUDONYM_KEY, Settings

BED_DAYS_FILE = "bed_days.csv"
FEED_COLUMNS = rawstore.INCIDENT_FEED_COLUMNS
# I01: without these the row cannot be counted (person_ref is checked through person_key)
IDENTIFYING = ("incident_id", "intervention_seq", "record_updated_at", "person_ref", "start_at",
               "intervention_type")
# I08: marked required by the layout but not needed to count the row
OTHER_REQUIRED = ("reason", "authority", "in_care_plan", "deescalation_attempted", "learning_disability",
                  "autistic", "injury_person", "injury_staff", "injury_other", "death_or_serious_injury",
                  "post_incident_support", "post_incident_review", "care_plan_reviewed")
INTERVENTION_TYPES = ("01", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17",
                      "X1", "X2", "X3", "X4")
PHYSICAL_OR_MECHANICAL = ("01", "04", "07", "08", "09", "10", "11", "12", "13")
REASONS = ("10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "98", "99")
PROVIDER_COLUMNS = rawstore.PROVIDER_COLUMNS
DUCKDB_MEMORY = "3GB"  # keeps a national-scale ingest under the 4 GB target (DuckDB spills beyond it)

RAW_SCHEMAS = {name: rawstore.SCHEMAS[name] for name in ("incident_rows", "incident_files")}
VALIDATED_SCHEMAS = {name: rawstore.VALIDATED_SCHEMAS[name] for name in (
    "incident_interventions", "incident_quarantine", "incident_bed_days", "providers")}


class PseudonymKeyError(RuntimeError):
    """No usable pseudonymisation key: incident feeds are held."""


def usable_key(settings: Settings) -> str:
    """The HMAC key, or an error saying why feeds are held (no key; the demo key outside demo mode)."""
    if not settings.pseudonym_key:
        raise PseudonymKeyError("LDIS_PSEUDONYM_KEY is not set: incident feeds are held (not ingested)")
    if settings.pseudonym_key == DEMO_PSEUDONYM_KEY and not settings.demo_mode:
        raise PseudonymKeyError("the demo pseudonymisation key is refused outside demo mode: incident feeds are held")
    return settings.pseudonym_key


def person_key(key: str, provider_code: str, person_ref: str) -> str:
    """HMAC-SHA256(key, provider_code ':' person_ref), hex (incident_feed.md, "Sensitive data")."""
    return hmac.new(key.encode(), f"{provider_code}:{person_ref}".encode(), hashlib.sha256).hexdigest()


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """A statement run to completion (DuckDB 2 refuses new work while a result is unread)."""
    con.execute(sql).fetchall()


def connect(temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    _run(con, f"set memory_limit = '{DUCKDB_MEMORY}'")
    _run(con, "set timezone = 'UTC'")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        _run(con, f"set temp_directory = '{temp_dir}'")
    return con


def ensure(settings: Settings) -> None:
    rawstore.ensure_datasets(settings.raw_dir, RAW_SCHEMAS)
    rawstore.ensure_datasets(settings.validated_dir, VALIDATED_SCHEMAS)


# --------------------------------------------------------------------------------------------- ingest

def discover_feed_files(landing: Path) -> tuple[list[LandingFile], list[LandingFile]]:
    """(incident files, bed-days files) under incidents/<provider_code>/; bed_days.csv is reserved."""
    root = landing / "incidents"
    if not root.is_dir() or root.is_symlink():
        return [], []
    feeds: list[LandingFile] = []
    bed_days: list[LandingFile] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        code = folder.name.strip().upper()
        for path in _files_under(landing, folder):
            if path.suffix.lower() != ".csv":
                continue
            is_bed_days = path.name.lower() == BED_DAYS_FILE and path.parent == folder
            landing_file = _landing_file(landing, path, "incident_bed_days" if is_bed_days else "incident",
                                         provider_code=code)
            (bed_days if is_bed_days else feeds).append(landing_file)
    return feeds, bed_days


def read_providers(landing: Path, archive: Archive) -> pl.DataFrame:
    """The current register/providers.csv (empty frame without it)."""
    path = landing / "register" / "providers.csv"
    schema = VALIDATED_SCHEMAS["providers"]
    if not path.is_file():
        return rawstore.empty_frame(schema)
    receipts = archive.receive([_landing_file(landing, path, "register_providers")])
    if not receipts:
        return rawstore.empty_frame(schema)  # a link out of the landing zone is never read (landing audit flags it)
    (receipt,) = receipts
    from orchestration.lib.register import CsvLayoutError, read_text_csv

    try:  # read the archived bytes, not the landing path, so what was read is what was archived
        frame = read_text_csv(archive.path_of(receipt.file_hash), PROVIDER_COLUMNS)
    except (CsvLayoutError, pl.exceptions.PolarsError):
        return rawstore.empty_frame(schema)  # an unreadable providers register: every feed is unregistered (I06)
    frame = frame.with_columns(
        pl.col("provider_code").str.to_uppercase(), pl.col("org_code").str.to_uppercase(),
        pl.col("sector").str.to_lowercase(), pl.col("setting_type").str.to_lowercase(),
        pl.col("training_certification").str.to_lowercase(), pl.lit(receipt.file_hash).alias("file_hash"),
    )
    return rawstore.conform(frame.unique("provider_code", keep="last", maintain_order=True), schema)


@dataclass
class IngestSummary:
    files_seen: int = 0
    files_read: int = 0
    rows_read: int = 0
    people_keyed: int = 0
    unregistered_files: int = 0
    unreadable: list[str] = field(default_factory=list)


def _known_hashes(raw_dir: Path) -> set[str]:
    frame = rawstore.read(raw_dir, "incident_files")
    return set(frame["file_hash"].to_list()) if frame.height else set()


def ingest_feeds(settings: Settings, archive: Archive, registered: set[str]) -> IngestSummary:
    """Archive every feed file; read the new ones of registered providers into raw.incident_rows."""
    key = usable_key(settings)
    ensure(settings)
    feeds, bed_days = discover_feed_files(settings.landing)
    receipts = archive.receive(feeds + bed_days)
    summary = IngestSummary(files_seen=len(feeds))
    known = _known_hashes(settings.raw_dir)
    to_read: list[Receipt] = []
    file_rows: list[dict[str, object]] = []
    for receipt in receipts:
        if receipt.file.source != "incident" or receipt.file_hash in known:
            continue
        known.add(receipt.file_hash)
        status = "read" if receipt.file.provider_code in registered else "unregistered_provider"
        if status == "read":
            to_read.append(receipt)
        else:
            summary.unregistered_files += 1
        file_rows.append({"file_hash": receipt.file_hash, "provider_code": receipt.file.provider_code,
                          "landing_path": receipt.file.relative, "archive_seq": receipt.archive_seq,
                          "archived_at": receipt.archived_at, "status": status, "rows": None})
    if to_read:
        counts = _read_batch(settings, archive, to_read, key, summary)
        for row in file_rows:
            if row["status"] == "read":
                row["rows"] = counts.get(str(row["file_hash"]), 0)
                if str(row["file_hash"]) in summary.unreadable:
                    row["status"] = "unreadable"
    if file_rows:
        frame = pl.DataFrame(file_rows, schema=RAW_SCHEMAS["incident_files"])
        target = settings.raw_dir / "incident_files" / "cycle=none" / \
            f"part-{rawstore.batch_key(str(r['file_hash']) for r in file_rows)}.parquet"
        if not target.exists():
            rawstore._write_atomically(frame, target)
    return summary


def _header(path: str) -> tuple[str, ...] | None:
    """The header row as normalised names (trimmed, lower case, BOM removed); None if unreadable."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError):
        return None
    return tuple(name.strip().lower() for name in first) if first else None


def _by_header(paths: list[str]) -> tuple[dict[tuple[str, ...], list[str]], list[str]]:
    groups: dict[tuple[str, ...], list[str]] = {}
    bad: list[str] = []
    for path in paths:
        header = _header(path)
        if header is None or "incident_id" not in header:
            bad.append(path)
        else:
            groups.setdefault(header, []).append(path)
    return groups, bad


def _group_select(header: tuple[str, ...], paths: list[str]) -> str:
    """Rows of files sharing one header, as the feed columns (absent ones null), blank text null."""
    def text(column: str) -> str:
        if column not in header:
            return f"cast(null as varchar) as {column}"
        return f"nullif(trim(column{header.index(column):02d}), '') as {column}"

    # positional names: DuckDB renames duplicate or odd header names, the position is certain
    renamed = ", ".join(f"column{i:02d}" for i in range(len(header)))
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    source = (f"read_csv([{listed}], header = true, all_varchar = true, filename = true, null_padding = true, "
              f"names = [{', '.join(repr(f'column{i:02d}') for i in range(len(header)))}])")
    columns = ", ".join(text(c) for c in (*FEED_COLUMNS, "person_ref"))
    # WITH ORDINALITY numbers rows in file order: the tie-breaker "the later row in that file"
    return (f"select filename, src_ordinal, {columns} from "
            f"(select {renamed}, filename, ordinality as src_ordinal from {source} with ordinality)")


def _read_batch(settings: Settings, archive: Archive, receipts: list[Receipt], key: str,
                summary: IngestSummary) -> dict[str, int]:
    """DuckDB reads of the batch's archived bytes (one per header layout): key persons, drop
    person_ref, write one Parquet part."""
    by_path = {str(archive.path_of(r.file_hash)): r for r in receipts}
    groups, bad = _by_header(sorted(by_path))
    with connect(settings.state / "duckdb_tmp") as con:
        selects: list[str] = []
        for header, paths in groups.items():
            try:
                con.execute(f"describe {_group_select(header, paths)}").fetchall()
                selects.append(_group_select(header, paths))
            except duckdb.Error:
                for path in paths:  # find the file the reader rejects; the others are read
                    try:
                        con.execute(f"describe {_group_select(header, [path])}").fetchall()
                        selects.append(_group_select(header, [path]))
                    except duckdb.Error:
                        bad.append(path)
        summary.unreadable = [by_path[p].file_hash for p in bad]
        good = [p for p in by_path if p not in bad]
        if not good:
            return {}
        files = pa.table({
            "archive_file": good,
            "provider_code": [by_path[p].file.provider_code for p in good],
            "file_hash": [by_path[p].file_hash for p in good],
            "archive_seq": [by_path[p].archive_seq for p in good],
            "archived_at": pa.array([by_path[p].archived_at for p in good], pa.timestamp("us", "UTC")),
        })
        con.register("batch_files", files)
        source = f"({' union all '.join(selects)})"
        # Pass 1 (small result): per file and person, the rows and the first row's position. It gives
        # the distinct people to key, each file's row count and where its rows start.
        _run(con, f"""
            create temp table seen as
            select f.provider_code, src.filename, src.person_ref, count(*) as rows, min(src.src_ordinal) as first_ordinal
            from {source} as src
            join batch_files as f on src.filename = f.archive_file
            group by f.provider_code, src.filename, src.person_ref
        """)
        people = con.execute(
            "select distinct provider_code, person_ref from seen where person_ref is not null").fetchall()
        keys = pa.table({
            "provider_code": pa.array([p for p, _ in people], pa.string()),
            "person_ref": pa.array([r for _, r in people], pa.string()),
            "person_key": pa.array([person_key(key, p, r) for p, r in people], pa.string()),
        })
        con.register("person_keys", keys)
        summary.people_keyed = len(people)
        part = settings.raw_dir / "incident_rows" / "cycle=none" / \
            f"part-{rawstore.batch_key(r.file_hash for r in receipts)}.parquet"
        temporary = part.with_name(f".{part.name}.tmp")
        part.parent.mkdir(parents=True, exist_ok=True)
        feed = ", ".join(f"src.{c}" for c in FEED_COLUMNS)
        # Pass 2 (streamed): rows straight from the CSV reader to Parquet, person_ref swapped for its key
        _run(con, f"""
            copy (
                select f.provider_code, f.file_hash, f.archive_seq, f.archived_at,
                       src.src_ordinal - starts.first_ordinal + 1 as row_number, k.person_key, {feed}
                from {source} as src
                join batch_files as f on src.filename = f.archive_file
                join (select filename, min(first_ordinal) as first_ordinal from seen group by filename) as starts
                    on src.filename = starts.filename
                left join person_keys as k
                    on f.provider_code = k.provider_code and src.person_ref = k.person_ref
            ) to '{temporary}' (format parquet, compression zstd)
        """)
        temporary.replace(part)
        counts = {by_path[name].file_hash: int(rows) for name, rows in con.execute(
            "select filename, sum(rows) from seen group by filename").fetchall()}
        summary.rows_read = sum(counts.values())
        summary.files_read = len(good)
    return counts


# --------------------------------------------------------------------------------------------- bed days

def read_bed_days(landing: Path, archive: Archive) -> pl.DataFrame:
    """The current bed_days.csv of each provider; a later row for the same month replaces an earlier."""
    _, files = discover_feed_files(landing)
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for receipt in archive.receive(files):
        text = receipt.file.path.read_text(encoding="utf-8-sig", errors="replace")
        for record in csv.DictReader(io.StringIO(text)):
            record = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items()}
            month, value = record.get("month", ""), record.get("occupied_bed_days", "")
            try:
                dt.date.fromisoformat(f"{month}-01")
                days = float(value.replace(",", ""))
            except ValueError:
                continue  # an unreadable row gives no bed days: I07 says so where incidents exist
            rows[(str(receipt.file.provider_code), month)] = {
                "provider_code": receipt.file.provider_code, "month": month, "occupied_bed_days": days,
                "file_hash": receipt.file_hash}
    return pl.DataFrame(list(rows.values()), schema=VALIDATED_SCHEMAS["incident_bed_days"])


# --------------------------------------------------------------------------------------------- validate

LONDON = ZoneInfo("Europe/London")
# Years whose Europe/London offsets are looked up in a table (plain arithmetic, no ICU call per row);
# a time outside them (a typo such as 1019 or 9999) is converted by ICU, which agrees but is slow.
TABLE_YEARS = (1900, 2100)


def _offset_at(instant: int) -> int:
    """Europe/London offset (seconds) at a Unix time."""
    offset = dt.datetime.fromtimestamp(instant, LONDON).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _transitions(first_year: int, last_year: int) -> list[tuple[int, int, int]]:
    """(Unix time, offset before, offset after) of every change of offset in the years: sampled weekly
    (Europe/London has never changed twice within a week), the instant found by bisection to the second."""
    start = int(dt.datetime(first_year, 1, 1, tzinfo=dt.UTC).timestamp())
    end = int(dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC).timestamp())
    changes: list[tuple[int, int, int]] = []
    previous = _offset_at(start)
    step = 7 * 86400
    for sample in range(start + step, end + step, step):
        offset = _offset_at(sample)
        if offset != previous:
            low, high = sample - step, sample  # offset(low) == previous, offset(high) == offset
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _offset_at(middle) == previous else (low, middle)
            changes.append((high, previous, offset))
            previous = offset
    return changes


@functools.cache
def london_offsets(first_year: int = TABLE_YEARS[0], last_year: int = TABLE_YEARS[1]) -> pa.Table:
    """The local-time intervals of the years in which Europe/London is not on GMT, one row per
    (local year, interval): `year`, `local_from`, `local_to` (naive, local_to excluded), `offset_seconds`.

    A naive local time L is the instant L - offset. At a change at instant t from offset a to b the
    local times between t + min(a, b) and t + max(a, b) either occur twice (autumn) or never (spring);
    the contract takes the first occurrence and moves a missing time forward by the gap, and both
    mean "use the offset before the change", so the new offset starts at local time t + max(a, b)."""
    changes = _transitions(first_year, last_year)
    begin = dt.datetime(first_year, 1, 1)
    edges: list[tuple[dt.datetime, int]] = [(begin, _offset_at(int(begin.replace(tzinfo=dt.UTC).timestamp())))]
    for instant, before, after in changes:
        local = dt.datetime.fromtimestamp(instant, dt.UTC).replace(tzinfo=None) + dt.timedelta(
            seconds=max(before, after))
        edges.append((local, after))
    edges.append((dt.datetime(last_year + 1, 1, 1), 0))
    rows: list[tuple[int, dt.datetime, dt.datetime, int]] = []
    for (local_from, offset), (local_to, _) in itertools.pairwise(edges):
        if offset == 0:
            continue
        for year in range(local_from.year, local_to.year + 1):  # split at year ends: joined on the year
            part_from, part_to = max(local_from, dt.datetime(year, 1, 1)), min(local_to, dt.datetime(year + 1, 1, 1))
            if part_from < part_to:
                rows.append((year, part_from, part_to, offset))
    return pa.table({
        "year": pa.array([r[0] for r in rows], pa.int64()),
        "local_from": pa.array([r[1] for r in rows], pa.timestamp("us")),
        "local_to": pa.array([r[2] for r in rows], pa.timestamp("us")),
        "offset_seconds": pa.array([r[3] for r in rows], pa.int64()),
    })


def register_london(con: duckdb.DuckDBPyConnection) -> None:
    """The london_offsets table on the connection (used by `typed_rows_sql`)."""
    con.register("london_offsets", london_offsets())


_INSTANT_COLUMNS = (("start_at", "start"), ("end_at", "end"), ("record_updated_at", "updated"))


def _has_offset(column: str) -> str:
    """SQL: the text ends in an offset (Z, +hh:mm, -hhmm, ...). The cheap test on the sixth or fifth
    character from the end (or a final Z) spares most rows the regular expression."""
    return (f"((right({column}, 1) in ('Z', 'z') or substr({column}, -6, 1) in ('+', '-') "
            f"or substr({column}, -5, 1) in ('+', '-')) "
            f"and regexp_matches({column}, '(Z|z|[+-][0-9]{{2}}:?[0-9]{{2}})$'))")


def _instant(column: str, name: str) -> str:
    """SQL: ISO text to a UTC instant (the query joins london_offsets as `tz_<name>` on the naive
    value). With an offset: that instant. Naive: Europe/London local time minus the offset of the
    interval it falls in (GMT outside them); a year outside the table goes through ICU."""
    naive = f"{name}_naive"
    icu = f"timezone('Europe/London', {naive})"
    icu_first = (f"case when month({naive}) = 10 and hour({naive}) = 1 "
                 f"and timezone('Europe/London', {icu} - interval 1 hour) = {naive} then {icu} - interval 1 hour "
                 f"else {icu} end")
    return (f"case when {name}_offset then try_cast({column} as timestamptz) "
            f"when year({naive}) between {TABLE_YEARS[0]} and {TABLE_YEARS[1]} "
            f"then cast({naive} - to_seconds(coalesce(tz_{name}.offset_seconds, 0)) as timestamptz) "
            f"else {icu_first} end")


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def typed_rows_sql(rows_glob: str, files_glob: str | None = None) -> str:
    """Every version of every row, typed, with its error rule (I01-I03) and warnings (I04, I08).
    Needs `register_london` on the connection. With `files_glob`, each row's landing_path too.
    Columns a query does not use are not computed (DuckDB prunes them)."""
    missing = " ".join(
        f"when {'person_key' if c == 'person_ref' else c} is null then '{c}'" for c in IDENTIFYING)
    unreadable = ("when start_utc is null then 'start_at' when updated_utc is null then 'record_updated_at' "
                  "when seq is null then 'intervention_seq'")
    blank_other = " ".join(f"when {c} is null then '{c}'" for c in OTHER_REQUIRED)
    naive = ", ".join(f"try_cast(r.{c} as timestamp) as {n}_naive, "
                      f"coalesce({_has_offset(f'r.{c}')}, false) as {n}_offset" for c, n in _INSTANT_COLUMNS)
    zones = " ".join(
        f"left join london_offsets as tz_{n} on tz_{n}.year = year(r.{n}_naive) "
        f"and r.{n}_naive >= tz_{n}.local_from and r.{n}_naive < tz_{n}.local_to" for _, n in _INSTANT_COLUMNS)
    landing = ("left join (select distinct file_hash, landing_path from "
               f"read_parquet('{files_glob}')) as f on r.file_hash = f.file_hash") if files_glob else ""
    return f"""
    with parsed as (
        select *, {naive} from read_parquet('{rows_glob}', union_by_name = true) as r
    ),
    rows as (
        select r.*, {'f.landing_path' if files_glob else 'cast(null as varchar) as landing_path'},
               {_instant('r.start_at', 'start')} as start_utc,
               {_instant('r.end_at', 'end')} as end_utc,
               {_instant('r.record_updated_at', 'updated')} as updated_utc,
               try_cast(r.intervention_seq as integer) as seq
        from parsed as r {zones} {landing}
    ),
    judged as (
        select *,
            case {missing} else null end as missing_field,
            case {unreadable} else null end as unreadable_field,
            date_diff('second', start_utc, end_utc) / 60.0 as minutes,
            -- the month in England: a naive time's own month (moving it over the spring gap never
            -- changes the month), an instant with an offset converted
            case when start_offset then strftime(timezone('Europe/London', start_utc), '%Y-%m')
                 when start_utc is not null then strftime(start_naive, '%Y-%m') end as month
        from rows
    )
    select *,
        case
            when missing_field is not null then 'I01'
            when unreadable_field is not null then 'I01'
            when intervention_type not in ({_in_list(INTERVENTION_TYPES)}) then 'I02'
            when reason is not null and reason not in ({_in_list(REASONS)}) then 'I02'
            when end_utc < start_utc then 'I03'
            when start_utc > archived_at then 'I03'
            else null
        end as error_rule,
        case
            when missing_field is not null then missing_field
            when unreadable_field is not null then unreadable_field
            when intervention_type not in ({_in_list(INTERVENTION_TYPES)}) then 'intervention_type'
            when reason is not null and reason not in ({_in_list(REASONS)}) then 'reason'
            when end_utc < start_utc then 'end_at'
            when start_utc > archived_at then 'start_at'
            else null
        end as error_item,
        case
            when intervention_type not in ({_in_list(INTERVENTION_TYPES)}) then intervention_type
            when reason is not null and reason not in ({_in_list(REASONS)}) then reason
            else null
        end as error_code,
        case
            when minutes > 90 * 24 * 60 then true
            when intervention_type in ({_in_list(PHYSICAL_OR_MECHANICAL)}) and minutes > 24 * 60 then true
            else false
        end as implausible_duration,
        case {blank_other} else null end as blank_field
    from judged
    """


@dataclass
class ValidateSummary:
    current_interventions: int = 0
    quarantined: int = 0
    flags_by_rule: dict[str, int] = field(default_factory=dict)
    months: int = 0


def _cycle_of(month: str) -> int:
    return int(month[:4]) + (1 if int(month[5:7]) >= 4 else 0)


KEY = "provider_code, incident_id, seq"
# a row is current when it is valid and its key has one version, or it is the ranked winner
CURRENT = ("t.error_rule is null and (d.provider_code is null "
           "or (w.file_hash = t.file_hash and w.row_number = t.row_number))")
VERSIONS_JOIN = ("left join amended as d on t.provider_code = d.provider_code and t.incident_id = d.incident_id "
                 "and t.seq = d.seq "
                 "left join winners as w on t.provider_code = w.provider_code and t.incident_id = w.incident_id "
                 "and t.seq = w.seq")


def validate_feeds(settings: Settings, providers: pl.DataFrame, bed_days: pl.DataFrame) -> ValidateSummary:
    """Judge every version, keep the current valid ones, write the validated datasets and flags.

    Streamed, never materialising every row: (1) the keys received more than once (a group-by on
    three columns); (2) only those keys' valid versions are ranked (latest record_updated_at, then
    the later archived file, then the later row); (3) the current rows go straight from the raw
    Parquet to one Parquet folder per month; (4) a narrow pass returns the rows that raise a flag."""
    ensure(settings)
    summary = ValidateSummary()
    raw = settings.raw_dir
    validated = settings.validated_dir
    rows_glob = rawstore.glob(raw, "incident_rows")
    typed = typed_rows_sql(rows_glob)
    with connect(settings.state / "duckdb_tmp") as con:
        register_london(con)
        _run(con, "set preserve_insertion_order = false")  # the writes below need no row order
        # Pushed down, a filter on error_rule or current-ness is rewritten into the CASE expressions
        # behind them and evaluated apart from the projection that computes them anyway (measured:
        # about half the CPU of each pass); the raw scans have no selective filter to push.
        _run(con, "set disabled_optimizers = 'filter_pushdown'")
        _run(con, f"""
            create temp table amended as
            select provider_code, incident_id, try_cast(intervention_seq as integer) as seq
            from read_parquet('{rows_glob}', union_by_name = true)
            group by all having count(*) > 1
        """)
        _run(con, f"""
            create temp table winners as
            select {KEY}, file_hash, row_number, versions from (
                select t.provider_code, t.incident_id, t.seq, t.file_hash, t.row_number,
                    row_number() over (
                        partition by t.provider_code, t.incident_id, t.seq
                        order by t.updated_utc desc, t.archive_seq desc, t.row_number desc) as version_rank,
                    count(*) over (partition by t.provider_code, t.incident_id, t.seq) as versions
                from ({typed}) as t
                semi join amended as d
                    on t.provider_code = d.provider_code and t.incident_id = d.incident_id and t.seq = d.seq
                where t.error_rule is null
            ) where version_rank = 1
        """)
        build = validated / ".incident_interventions.build"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        current_sql = f"""
            select t.provider_code, t.incident_id, t.seq as intervention_seq, t.person_key, t.month,
                cast(cast(substr(t.month, 1, 4) as integer) + case when cast(substr(t.month, 6, 2) as integer) >= 4
                     then 1 else 0 end as integer) as cycle_year,
                t.start_utc as start_at, t.end_utc as end_at, t.updated_utc as record_updated_at,
                t.minutes as duration_minutes, t.intervention_type, t.reason, t.authority, t.in_care_plan,
                t.deescalation_attempted, t.post_incident_support, t.post_incident_review, t.care_plan_reviewed,
                t.injury_person, t.injury_staff, t.death_or_serious_injury, t.learning_disability, t.autistic,
                t.age_band, t.gender, t.ethnic_group, t.site_code,
                cast(coalesce(w.versions, 1) as integer) as versions, t.file_hash
            from ({typed}) as t {VERSIONS_JOIN}
            where {CURRENT}
        """
        # one folder per month; each month's file holds exactly that month's current rows
        _run(con, f"copy ({current_sql}) to '{build}' (format parquet, compression zstd, "
                  "partition_by (month), write_partition_columns true, filename_pattern 'data_{i}')")
        written = f"read_parquet('{build}/*/*.parquet')"
        months_with_use = pl.DataFrame(schema={"provider_code": pl.String, "month": pl.String})
        if any(build.glob("*/*.parquet")):
            summary.current_interventions, summary.months = con.execute(
                f"select count(*), count(distinct month) from {written}").fetchall()[0]
            months_with_use = con.sql(f"select distinct provider_code, month from {written}").pl()
        rawstore._write_atomically(rawstore.empty_frame(VALIDATED_SCHEMAS["incident_interventions"]),
                                   build / "_empty.parquet")
        rawstore.replace_directory(validated / "incident_interventions", build)

        # the rows that raise a flag: quarantined versions, current rows with a warning (few by nature)
        flagged = con.sql(f"""
            select t.provider_code, t.incident_id, t.intervention_seq, t.error_rule, t.error_item, t.error_code,
                   t.month, t.file_hash, f.landing_path, t.row_number, t.archived_at, t.implausible_duration,
                   t.blank_field, t.minutes, cast(coalesce(w.versions, 1) as integer) as versions,
                   t.intervention_type
            from ({typed}) as t {VERSIONS_JOIN}
            left join (select distinct file_hash, landing_path from
                       read_parquet('{rawstore.glob(raw, 'incident_files')}')) as f on t.file_hash = f.file_hash
            where t.error_rule is not null
                or ({CURRENT} and (t.implausible_duration or t.blank_field is not null or w.versions > 1))
            order by t.provider_code, t.file_hash, t.row_number
        """).pl()
        unregistered = con.sql(f"""
            select f.file_hash, f.provider_code, f.landing_path, f.archived_at
            from read_parquet('{rawstore.glob(raw, 'incident_files')}') as f
            where f.status = 'unregistered_provider'
        """).pl()
    quarantine = flagged.filter(pl.col("error_rule").is_not_null()).select(
        "provider_code", "incident_id", "intervention_seq", pl.col("error_rule").alias("rule_id"),
        pl.col("error_item").alias("item_id"), pl.col("error_code").alias("detail"), "month", "file_hash",
        "landing_path", "row_number", "archived_at")
    warnings = flagged.filter(pl.col("error_rule").is_null()).select(
        "provider_code", "incident_id", "intervention_seq", "month", "file_hash", "landing_path",
        "implausible_duration", "blank_field", "minutes", "versions", "intervention_type")
    summary.quarantined = quarantine.height
    rawstore.replace_partition(validated, "incident_quarantine",
                               quarantine.with_columns(pl.col("month").map_elements(
                                   _cycle_of, return_dtype=pl.Int32).alias("cycle_year")), "current")
    for name, frame in (("providers", providers), ("incident_bed_days", bed_days)):
        rawstore.replace_partition(validated, name, frame, "current")
    _unreadable_notes(settings)
    flags = _flags(quarantine, warnings, months_with_use, unregistered, providers, bed_days, settings)
    _write_flags(validated, flags)
    for flag in flags:
        summary.flags_by_rule[str(flag["rule_id"])] = summary.flags_by_rule.get(str(flag["rule_id"]), 0) + 1
    return summary


def _unreadable_notes(settings: Settings) -> None:
    """A collection-level error per feed file DuckDB could not read (no incident_id header, bad bytes)."""
    files = rawstore.read(settings.raw_dir, "incident_files")
    files = files.filter(pl.col("status") == "unreadable") if files.height else files
    rows = [{"cycle_year": None, "source": "incident", "severity": "error",
             "message": f"{path}: not a readable incident CSV (header with incident_id); archived, not read"}
            for path in sorted(files["landing_path"].unique().to_list())] if files.height else []
    rawstore.replace_partition(settings.validated_dir, "collection_notes",
                               pl.DataFrame(rows, schema=rawstore.VALIDATED_SCHEMAS["collection_notes"]),
                               "source=incident")


def _flag(rule_id: str, provider: str, month: str | None, item_id: str | None, extra: str,
          value: object, detail: object, incident: str | None, file_hash: str | None,
          landing_path: str | None, fallback_cycle: int) -> dict[str, object]:
    cycle = _cycle_of(month) if month else fallback_cycle
    flag = make_flag(cycle_year=cycle, org_code=provider, rule_id=rule_id, item_id=item_id, file_hash=file_hash,
                     landing_path=landing_path, response_key=extra,
                     submitted_value=None if value is None else str(value), id_extra=extra)
    # the message names the incident (or provider / month), the submitted value stays the offending one
    flag["message"] = render_message(rule_id, value=incident or provider, item_id=item_id or "",
                                     detail="" if detail is None else detail)
    return flag


def _flags(quarantine: pl.DataFrame, warnings: pl.DataFrame, months_with_use: pl.DataFrame,
           unregistered: pl.DataFrame, providers: pl.DataFrame, bed_days: pl.DataFrame,
           settings: Settings) -> list[dict[str, object]]:
    """Flag rows (a Python loop over flags, not rows: flags are few by nature)."""
    flags: list[dict[str, object]] = []
    for q in quarantine.iter_rows(named=True):
        incident = q["incident_id"] or f"(row {q['row_number']} of {q['landing_path']})"
        extra = (f"{q['incident_id']}/{q['intervention_seq']}" if q["incident_id"]
                 else f"{q['file_hash']}:{q['row_number']}")
        received_cycle = _cycle_of(q["archived_at"].strftime("%Y-%m"))
        flags.append(_flag(q["rule_id"], q["provider_code"], q["month"], q["item_id"], extra, q["detail"],
                           q["detail"], incident, q["file_hash"], q["landing_path"], received_cycle))
    for w in warnings.iter_rows(named=True):
        extra = f"{w['incident_id']}/{w['intervention_seq']}"
        if w["implausible_duration"]:
            lasted = f"{w['minutes'] / 60:.1f} hours" if w["minutes"] < 2880 else f"{w['minutes'] / 1440:.1f} days"
            flags.append(_flag("I04", w["provider_code"], w["month"], "duration", extra, lasted, lasted,
                               w["incident_id"], w["file_hash"], w["landing_path"], 0))
        if w["blank_field"] is not None:
            flags.append(_flag("I08", w["provider_code"], w["month"], w["blank_field"], extra, None, None,
                               w["incident_id"], w["file_hash"], w["landing_path"], 0))
        if w["versions"] > 1:
            flags.append(_flag("I05", w["provider_code"], w["month"], "record_updated_at", extra, None, None,
                               w["incident_id"], w["file_hash"], w["landing_path"], 0))
    for u in unregistered.iter_rows(named=True):
        cycle = _cycle_of(u["archived_at"].strftime("%Y-%m"))
        month = _first_month(settings, u["file_hash"])
        flags.append(_flag("I06", u["provider_code"], month, None, u["file_hash"], u["provider_code"], None,
                           None, u["file_hash"], u["landing_path"], cycle))
    inpatient = set(providers.filter(pl.col("setting_type").is_in(["inpatient", "residential"]))["provider_code"])
    known_days = {(r["provider_code"], r["month"]) for r in bed_days.iter_rows(named=True)
                  if r["occupied_bed_days"] is not None}
    for m in months_with_use.sort(["provider_code", "month"]).iter_rows(named=True):
        if m["provider_code"] in inpatient and (m["provider_code"], m["month"]) not in known_days:
            flags.append(_flag("I07", m["provider_code"], m["month"], "occupied_bed_days", m["month"], None,
                               f"{m['provider_code']} {m['month']}", None, None,
                               f"incidents/{m['provider_code']}/{BED_DAYS_FILE}", 0))
    return flags


def _first_month(settings: Settings, file_hash: str) -> str | None:
    """The month of the earliest start_at in a quarantined file (its flag's cycle); only that column is read."""
    path = settings.archive_dir / file_hash[:2] / file_hash
    try:
        with duckdb.connect() as con:
            value = con.execute(
                f"select min(try_cast(replace(start_at, 'T', ' ') as timestamp)) from read_csv('{path}', "
                "header = true, all_varchar = true)").fetchall()[0][0]
    except duckdb.Error:
        return None
    return None if value is None else value.strftime("%Y-%m")


def _write_flags(validated: Path, flags: list[dict[str, object]]) -> None:
    """Replace the incident flags whole: one file per cycle under validated/flags/source=incident/."""
    root = validated / "flags" / "source=incident"
    build = validated / "flags" / ".source=incident.build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    frame = pl.DataFrame(flags, schema=rawstore.VALIDATED_SCHEMAS["flags"]) if flags else \
        rawstore.empty_frame(rawstore.VALIDATED_SCHEMAS["flags"])
    for (cycle,), part in frame.group_by(["cycle_year"], maintain_order=True):
        rawstore._write_atomically(rawstore.conform(part.sort("flag_id"), rawstore.VALIDATED_SCHEMAS["flags"]),
                                   build / f"cycle={cycle}" / "data.parquet")
    rawstore.replace_directory(root, build)


def hold_note(validated: Path, message: str | None) -> None:
    """The run-level error when feeds are held (or none), in validated/collection_notes."""
    rows = [] if message is None else [{"cycle_year": None, "source": "incident", "severity": "error",
                                        "message": message}]
    frame = pl.DataFrame(rows, schema=rawstore.VALIDATED_SCHEMAS["collection_notes"])
    rawstore.replace_partition(validated, "collection_notes", frame, "source=incident")


# --------------------------------------------------------------------------------------------- GX audit

def gx_audit(settings: Settings, month: str | None = None) -> tuple[set[int], set[int]]:
    """Cross-check: (row ids GX's `incident_feed` suite fails, row ids the SQL quarantines), over every
    version received (or those starting in `month`). GX needs a pandas frame, so this is for frames
    that fit in memory; the pipeline relies on the SQL."""
    from orchestration.lib.gx_runner import run_suite

    raw = settings.raw_dir
    typed = typed_rows_sql(rawstore.glob(raw, "incident_rows"), rawstore.glob(raw, "incident_files"))
    where = "" if month is None else f"where month = '{month}'"
    with connect(settings.state / "duckdb_tmp") as con:
        register_london(con)
        # instants as epoch seconds (float): GX's column-pair check fails on pyarrow-backed timestamps
        frame = con.sql(f"""
            select cast(row_number() over (order by file_hash, row_number) as bigint) as row_id,
                   incident_id, seq, person_key, intervention_type, reason,
                   epoch(updated_utc) as updated_utc, epoch(start_utc) as start_utc,
                   epoch(start_utc) as start_epoch, epoch(end_utc) as end_epoch,
                   epoch(archived_at) as received_epoch, error_rule
            from ({typed}) {where}
        """).df()
    sql_failed = set(frame.loc[frame["error_rule"].notna(), "row_id"].astype(int))
    frame = frame.drop(columns=["error_rule"])
    for column in ("incident_id", "person_key", "intervention_type", "reason"):
        frame[column] = frame[column].astype(object)
    gx_failed = {row_id for failure in run_suite("incident_feed", frame) for row_id in failure.row_ids}
    return gx_failed, sql_failed
