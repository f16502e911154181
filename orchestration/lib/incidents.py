"""Restrictive-practice incident feeds: ingest, pseudonymise, validate (I01-I08), apply amendments.

Stages (each a function; the Dagster asset calls them in order):

1. *ingest* (`ingest_feeds`, the prepare stage): every file under `incidents/<provider_code>/` is
   archived by hash; each file of a registered provider whose bytes were not read before is read
   once with DuckDB's CSV reader (all text, header matched by name) and typed on the way
   (`prepared_rows_sql`): instants in UTC (naive times are Europe/London by a table of offsets,
   `london_offsets`, not ICU per row), the month in England, the duration, and `person_ref`
   replaced by `person_key` = HMAC-SHA256(key, provider_code ':' person_ref) - computed in Python
   once per distinct person (`register_person_key`). The rows go to the raw dataset `incident_rows`
   (one Parquet part per file, or per chunk of small files), never rewritten afterwards except by
   retention. The raw `person_ref` is never written anywhere but the archive, which keeps the
   bytes received by contract and is access-controlled.
2. *validate* (`validate_feeds`): the row rules are SQL over every version in the raw layer
   (`judged_rows_sql`; no Python loop over rows). Rows failing I01-I03 are quarantined; the current
   version of (provider, incident, seq) is the valid row with the latest `record_updated_at`
   (then the later archived file, then the later row). Validation does not copy the rows: it
   writes what decides which are current (`incident_selection`, one file; the staging model and
   `current_rows_sql` apply it), the quarantined rows for reporting (`incident_quarantine`),
   `incident_bed_days`, `providers` and the incident flags under `validated/flags/source=incident/`,
   each replaced whole (idempotent).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import hmac
import io
import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
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
# A month is the partition Dagster audits (lib/incident_months.py); versions without a readable
# start_at (I01 by definition) have none and are audited under this key.
UNDATED = "undated"
MONTH_KEY = f"coalesce(month, '{UNDATED}')"
T = TypeVar("T")
C = TypeVar("C")
DUCKDB_MEMORY = "3GB"  # keeps a national-scale ingest under the 4 GB target (DuckDB spills beyond it)

RAW_SCHEMAS = {name: rawstore.SCHEMAS[name] for name in ("incident_rows", "incident_files")}
VALIDATED_SCHEMAS = {name: rawstore.VALIDATED_SCHEMAS[name] for name in (
    "incident_selection", "incident_quarantine", "incident_bed_days", "providers", "incident_months",
    "incident_month_audit", "incident_month_rereads")}


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
    unreadable: dict[str, str] = field(default_factory=dict)  # file hash -> why it was not read


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
                          "archived_at": receipt.archived_at, "status": status, "rows": None,
                          "detail": None})
    if to_read:
        counts = _read_batch(settings, archive, to_read, key, summary)
        for row in file_rows:
            if row["status"] == "read":
                row["rows"] = counts.get(str(row["file_hash"]), 0)
                if str(row["file_hash"]) in summary.unreadable:
                    row["status"] = "unreadable"
                    row["detail"] = summary.unreadable[str(row["file_hash"])]
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


def sql_literal(text: str) -> str:
    """A SQL string literal of `text` (quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _csv_source(paths: list[str], header: tuple[str, ...], filename: bool = False) -> str:
    # positional names: DuckDB renames duplicate or odd header names, the position is certain
    names = ", ".join(repr(f"column{i:02d}") for i in range(len(header)))
    listed = ", ".join(sql_literal(p) for p in paths)
    # the dialect is the contract's (RFC 4180: comma, double quotes): given, not sniffed per file,
    # which halves the reader's CPU (measured: 11.1 -> 5.7 CPU s per 10 million rows)
    return (f"read_csv([{listed}], header = true, all_varchar = true, null_padding = true, names = [{names}], "
            f"delim = ',', quote = '\"', escape = '\"'{', filename = true' if filename else ''})")


NO_HEADER = "not a readable incident CSV (no header row with incident_id, or not text)"


def _reader_error(error: duckdb.Error) -> str:
    """Why DuckDB's CSV reader rejected a file, without the offending line or any quoted value
    (either may hold a person_ref)."""
    kept: list[str] = []
    lines = iter(str(error).splitlines())
    for line in lines:
        if line.startswith("Possible fixes"):
            break
        if line.startswith("Original Line"):
            next(lines, None)
            continue
        line = re.sub(r"'[^']*'|\"[^\"]*\"", "'...'", line).strip()
        if line:
            kept.append(line)
    return "; ".join(kept)[:300] or "rejected by DuckDB's CSV reader"


def _reader_rejects(con: duckdb.DuckDBPyConnection, header: tuple[str, ...], paths: list[str]) -> str | None:
    """None when DuckDB's reader accepts the files' layout (the lines it samples), else why not."""
    try:
        con.execute(f"describe select * from {_csv_source(paths, header)}").fetchall()
    except duckdb.Error as error:
        return _reader_error(error)
    return None


# Files of at least this size are read each by its own query (its rows numbered as read); smaller
# ones are read together, a chunk of about this size per query, and numbered per file by a window
# (cheap on small files; each query costs ~5 ms whatever its size).
CHUNK_BYTES = 8 * 2**20


def _chunks(groups: dict[tuple[str, ...], list[str]]) -> list[tuple[tuple[str, ...], list[str]]]:
    """(header, files) per read query: a large file alone, small files of one header together."""
    chunks: list[tuple[tuple[str, ...], list[str]]] = []
    for header, paths in groups.items():
        small: list[str] = []
        size = 0
        for path in paths:
            bytes_ = Path(path).stat().st_size
            if bytes_ >= CHUNK_BYTES:
                chunks.append((header, [path]))
                continue
            if small and size + bytes_ > CHUNK_BYTES:
                chunks.append((header, small))
                small, size = [], 0
            small.append(path)
            size += bytes_
        if small:
            chunks.append((header, small))
    return chunks


def _chunk_select(header: tuple[str, ...], paths: list[str], receipts: dict[str, Receipt]) -> str:
    """The chunk's rows as text (feed columns by name, absent ones null, blank text null) with their
    file's provenance and row number: WITH ORDINALITY numbers rows in read order (the tie-breaker
    "the later row in that file"); over several files, less the file's first ordinal."""
    def text(column: str) -> str:
        if column not in header:
            return f"cast(null as varchar) as {column}"
        value = f"column{header.index(column):02d}"
        # trimmed only when it has a space (the test is far cheaper than trim on every value)
        return f"nullif(case when contains({value}, ' ') then trim({value}) else {value} end, '') as {column}"

    names = ", ".join(f"column{i:02d}" for i in range(len(header)))
    columns = ", ".join(text(c) for c in (*FEED_COLUMNS, "person_ref"))
    files = ", ".join(
        f"({sql_literal(p)}, {sql_literal(str(receipts[p].file.provider_code))}, {sql_literal(receipts[p].file_hash)}, "
        f"{int(receipts[p].archive_seq)}, timestamp "
        f"'{receipts[p].archived_at.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}')" for p in paths)
    row_number = ("src.ordinality" if len(paths) == 1 else
                  "src.ordinality - min(src.ordinality) over (partition by src.filename) + 1")
    return (f"select f.provider_code, f.file_hash, cast(f.archive_seq as bigint) as archive_seq, "
            f"cast(f.archived_at as timestamptz) as archived_at, cast({row_number} as bigint) as row_number, "
            f"{columns} "
            f"from (select {names}, filename, ordinality from {_csv_source(paths, header, filename=True)} "
            f"with ordinality) as src "
            f"join (values {files}) as f(archive_file, provider_code, file_hash, archive_seq, archived_at) "
            f"on src.filename = f.archive_file")


def register_person_key(con: duckdb.DuckDBPyConnection, key: str) -> dict[tuple[str, str], str]:
    """`ldis_person_key(provider_code, person_ref)` on the connection: the HMAC computed in Python
    once per distinct person (cached across the batch's files), not per row: `prepared_rows_sql`
    calls it on each chunk's distinct people only and joins the keys back."""
    cache: dict[tuple[str, str], str] = {}

    def keys(providers: pa.Array, refs: pa.Array) -> pa.Array:
        values: list[str | None] = []
        for provider, ref in zip(providers.to_pylist(), refs.to_pylist(), strict=True):
            if provider is None or ref is None:
                values.append(None)
                continue
            value = cache.get((provider, ref))
            if value is None:
                value = cache[(provider, ref)] = person_key(key, provider, ref)
            values.append(value)
        return pa.array(values, pa.string())

    con.create_function("ldis_person_key", keys, ["VARCHAR", "VARCHAR"], "VARCHAR", type="arrow",
                        side_effects=False)
    return cache  # the people keyed so far


def _read_batch(settings: Settings, archive: Archive, receipts: list[Receipt], key: str,
                summary: IngestSummary) -> dict[str, int]:
    """The batch's archived bytes read by DuckDB, each row typed (`prepared_rows_sql`), its person
    keyed and person_ref dropped, into Parquet parts (one per chunk of files, `_chunks`). The
    chunks are read in parallel (one query each: a numbered read runs on one thread). Files DuckDB's
    reader rejects are left out (and reported unreadable)."""
    by_path = {str(archive.path_of(r.file_hash)): r for r in receipts}
    groups, no_header = _by_header(sorted(by_path))
    bad = dict.fromkeys(no_header, NO_HEADER)  # path -> why it is not read
    folder = settings.raw_dir / "incident_rows" / "cycle=none"
    folder.mkdir(parents=True, exist_ok=True)
    with connect(settings.state / "duckdb_tmp") as con:
        readable: dict[tuple[str, ...], list[str]] = {}
        for header, paths in groups.items():
            readable[header] = paths
            if _reader_rejects(con, header, paths):  # find the files the reader rejects; the others are read
                reasons = {path: _reader_rejects(con, header, [path]) for path in paths}
                readable[header] = [path for path, reason in reasons.items() if reason is None]
                bad.update({path: reason for path, reason in reasons.items() if reason is not None})
        chunks = _chunks({h: paths for h, paths in readable.items() if paths})
        if not chunks:
            summary.unreadable = {by_path[p].file_hash: reason for p, reason in bad.items()}
            return {}
        _forget_parts(con, folder, [by_path[p].file_hash for _, paths in chunks for p in paths])
        people = register_person_key(con, key)  # a function of the database: the cursors below see it

        def write(chunk: tuple[tuple[str, ...], list[str]]) -> dict[str, str]:
            """Write the chunk's part; the files DuckDB's reader rejects part-way (a row it cannot
            read, beyond the lines the probe saw) are found by reading them one at a time, and
            returned with the reason: they are reported unreadable, the others are kept."""
            header, paths = chunk
            try:
                _write_part(con, folder, header, paths, by_path)
            except duckdb.Error as error:
                if len(paths) == 1:
                    return {paths[0]: _reader_error(error)}
                return {path: reason for alone in paths for path, reason in write((header, [alone])).items()}
            return {}

        rejected = {path: reason for found in _in_parallel(write, chunks, lambda c: c[1]) for path, reason in found.items()}
        bad.update(rejected)
        summary.unreadable = {by_path[p].file_hash: reason for p, reason in bad.items()}
        chunks = [(header, [p for p in paths if p not in rejected]) for header, paths in chunks]
        if not any(paths for _, paths in chunks):
            return {}
        hashes = ", ".join(sql_literal(by_path[p].file_hash) for _, paths in chunks for p in paths)
        counts = {str(file_hash): int(rows) for file_hash, rows in con.execute(
            f"select file_hash, count(*) from read_parquet('{folder}/part-*.parquet') "
            f"where file_hash in ({hashes}) group by file_hash").fetchall()}
        summary.rows_read = sum(counts.values())
        summary.files_read = sum(len(paths) for _, paths in chunks)
        summary.people_keyed = len(people)
    return counts


def _write_part(con: duckdb.DuckDBPyConnection, folder: Path, header: tuple[str, ...], paths: list[str],
                by_path: dict[str, Receipt], replacing: Path | None = None,
                check: Callable[[Path, Path], None] | None = None) -> Path:
    """One query: the files' rows typed into a part (named by their hashes), written to a temporary
    name and renamed over it, so a part is replaced whole, never half. Re-reading (`replacing` an
    existing part), only the rows that part still holds are written (retention may have deleted
    some), and `check` sees (new, current part) before the rename and may refuse it by raising."""
    part = replacing or folder / f"part-{rawstore.batch_key(by_path[p].file_hash for p in paths)}.parquet"
    temporary = part.with_name(f".{part.name}.{os.getpid()}.tmp")  # two processes never share one
    rows = prepared_rows_sql(_chunk_select(header, paths, by_path))
    if replacing is not None:
        rows = (f"select n.* from ({rows}) as n semi join read_parquet('{part}') as c "
                f"on n.file_hash = c.file_hash and n.row_number = c.row_number")
    try:
        with con.cursor() as cursor:
            register_london(cursor)
            _run(cursor, f"copy ({rows}) to '{temporary}' (format parquet, compression zstd, compression_level 1)")
        if check is not None:
            check(temporary, part)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    temporary.replace(part)
    return part


def _in_parallel(write: Callable[[C], T], chunks: list[C], paths: Callable[[C], list[str]]) -> list[T]:
    """`write` on each chunk, the largest (sum of its files' sizes) first, one thread per core (a
    numbered read runs on one thread)."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(chunks), os.cpu_count() or 1))) as pool:
        return list(pool.map(write, sorted(chunks, key=lambda c: -sum(Path(p).stat().st_size for p in paths(c)))))


def _forget_parts(con: duckdb.DuckDBPyConnection, folder: Path, file_hashes: list[str]) -> None:
    """Delete parts holding rows of files about to be read: left by a run that stopped after writing
    them but before recording the files as read, so reading them again never doubles a row."""
    if not any(folder.glob("part-*.parquet")):
        return
    hashes = ", ".join(sql_literal(h) for h in file_hashes)
    for (path,) in con.execute(f"select distinct filename from read_parquet('{folder}/part-*.parquet', "
                               f"filename = true) where file_hash in ({hashes})").fetchall():
        Path(path).unlink()


# --------------------------------------------------------------------------------------------- re-read

class RereadRefused(RuntimeError):
    """A re-read that would change what it must not: the person keys (another pseudonymisation key)."""


@dataclass
class RereadSummary:
    parts: int = 0
    files: int = 0
    rows: int = 0
    months: list[str] = field(default_factory=list)  # every month of the parts re-read


def reread_months(settings: Settings, months: list[str] | None = None) -> RereadSummary:
    """Type again, from the archived bytes, every part of raw.incident_rows holding versions of
    `months` (every part when None): after a change to the typing (`prepared_rows_sql`), the raw
    layer is rebuilt without asking providers to resend. Each part is read again from its archived
    files in one query, keeping only the rows it still holds (retention may have deleted some), and
    renamed over itself, so a run that stops half-way leaves each part old or new, never both or
    neither, and running it again gives the same parts. A part whose row count or person keys would
    change (another key in LDIS_PSEUDONYM_KEY) is refused and kept: people counted under two keys
    would be counted twice. The months re-read lose their audit record and count one re-read more
    before any part is written (so a re-read that stops part-way still leaves them to be audited
    again, under a new fingerprint); validation runs after (`validate_feeds`, the next `ldis run`),
    as after any ingest."""
    key = usable_key(settings)
    folder = settings.raw_dir / "incident_rows" / "cycle=none"
    summary = RereadSummary()
    if not any(folder.glob("part-*.parquet")):
        return summary
    archive = Archive(settings.archive_dir, settings.raw_dir)
    files = {row["file_hash"]: row for row in rawstore.read(settings.raw_dir, "incident_files").iter_rows(named=True)}
    wanted = "" if months is None else "where {} in ({})".format(MONTH_KEY, ", ".join(sql_literal(m) for m in months))
    with connect(settings.state / "duckdb_tmp") as con:
        parts = con.execute(f"""
            select filename, list(distinct file_hash order by file_hash), count(*),
                list(distinct {MONTH_KEY} order by {MONTH_KEY})
            from read_parquet('{folder}/part-*.parquet', filename = true)
            where filename in (select distinct filename from read_parquet('{folder}/part-*.parquet',
                                                                          filename = true) {wanted})
            group by filename order by filename
        """).fetchall()
        register_person_key(con, key)
        by_path: dict[str, Receipt] = {}
        chunks: list[tuple[Path, tuple[str, ...], list[str]]] = []
        months_read: set[str] = set()
        for filename, hashes, rows, part_months in parts:
            months_read.update(part_months)
            hash_of = {str(archive.path_of(h)): h for h in hashes}
            paths = sorted(hash_of)
            for path, file_hash in hash_of.items():
                row = files[file_hash]
                by_path[path] = Receipt(
                    file=LandingFile(settings.landing / row["landing_path"], row["landing_path"], "incident",
                                     provider_code=row["provider_code"]),
                    file_hash=file_hash, size_bytes=0, archived_at=row["archived_at"],
                    archive_seq=row["archive_seq"], new_bytes=False, new_receipt=False)
            header = _header(paths[0])
            if header is None:
                raise RereadRefused(f"archived file {paths[0]} was read before and has no header now")
            chunks.append((Path(filename), header, paths))
            summary.parts += 1
            summary.files += len(paths)
            summary.rows += rows

        def same_rows_and_people(new: Path, current: Path) -> None:
            with con.cursor() as cursor:
                rows, changed = cursor.execute(f"""
                    select (select count(*) from read_parquet('{new}')) - (select count(*) from read_parquet('{current}')),
                        count(*) filter (where n.person_key is distinct from c.person_key)
                    from read_parquet('{new}') as n join read_parquet('{current}') as c
                        on n.file_hash = c.file_hash and n.row_number = c.row_number
                """).fetchall()[0]
            if rows or changed:
                raise RereadRefused(
                    f"{current.name}: re-reading would change {abs(rows)} rows and {changed} person keys (is "
                    "LDIS_PSEUDONYM_KEY the key these rows were read with?); the part is kept as it was")

        summary.months = sorted(months_read)
        _forget_audits(settings.validated_dir, summary.months)
        _in_parallel(lambda c: _write_part(con, folder, c[1], c[2], by_path, c[0], same_rows_and_people),
                     chunks, lambda c: c[2])
    return summary


def rereads_by_month(validated: Path) -> list[tuple[str, int]]:
    """(month, times re-read) of the months `ldis reread-incidents` typed again."""
    if not (validated / "incident_month_rereads").is_dir():
        return []
    return [(str(m), int(n)) for m, n in rawstore.read(validated, "incident_month_rereads").iter_rows()]


def _forget_audits(validated: Path, months: list[str]) -> None:
    """The months' typed values may change: each loses its audit record and counts one re-read more
    (its fingerprint changes, so the month sensor's run key is new)."""
    counts = dict(rereads_by_month(validated))
    for month in months:
        counts[month] = counts.get(month, 0) + 1
    rawstore.replace_partition(validated, "incident_month_rereads", pl.DataFrame(
        {"month": list(counts), "rereads": list(counts.values())},
        schema={"month": pl.String, "rereads": pl.Int64}), "current")
    _drop_audits(validated, months)


def _drop_audits(validated: Path, months: Iterable[str]) -> None:
    """Delete the months' audit records (their partitions of incident_month_audit)."""
    for month in months:
        shutil.rmtree(validated / "incident_month_audit" / f"month={month}", ignore_errors=True)


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
# identifying fields whose text can fail to parse (I01 names the first one): recorded at ingest
_PARSED_FIELDS = (("start_at", "start_utc"), ("record_updated_at", "updated_utc"), ("intervention_seq", "seq"))
# the feed's text columns stored as sent (codes; the I rules judge them in validation)
STORED_TEXT = tuple(c for c in FEED_COLUMNS if c not in ("incident_id", "intervention_seq", "start_at", "end_at",
                                                           "record_updated_at"))


def _has_offset(column: str) -> str:
    """SQL: the text ends in an offset (Z, +hh:mm, -hhmm, ...). A CASE, so the regular expression
    runs only on the rows the cheap test leaves (DuckDB evaluates both sides of an AND on every row;
    measured per 10 million values: 0.1 CPU s against 1.5 for the same tests joined by AND): not the
    length of a naive 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM' or 'YYYY-MM-DDTHH:MM:SS'."""
    return (f"case when length({column}) in (10, 16, 19) then false "
            f"else regexp_matches({column}, '(Z|z|[+-][0-9]{{2}}:?[0-9]{{2}})$') end")


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


def prepared_rows_sql(source: str) -> str:
    """The prepare stage, SQL over text rows (`source`: provenance columns, `person_ref` and the feed
    columns as text): the row as stored in raw.incident_rows. Times become UTC instants (naive ones
    are Europe/London by the `london_offsets` table), `month` is the calendar month of start_at in
    England, `duration_minutes` is measured on the instants, `intervention_seq` an integer, and
    `unparsed_fields` names the identifying fields sent but not readable (for I01). `person_ref`
    becomes `person_key` (needs `register_london` and `register_person_key` on the connection):
    the key function is called on the source's distinct people and joined back (per 10 million
    rows that saves ~4 CPU s against calling it on every row, even with its cache: the cost was
    DuckDB handing each row to Python, not the HMAC)."""
    naive = ", ".join(f"try_cast(r.{c} as timestamp) as {n}_naive, "
                      f"coalesce({_has_offset(f'r.{c}')}, false) as {n}_offset" for c, n in _INSTANT_COLUMNS)
    zones = " ".join(
        f"left join london_offsets as tz_{n} on tz_{n}.year = year(r.{n}_naive) "
        f"and r.{n}_naive >= tz_{n}.local_from and r.{n}_naive < tz_{n}.local_to" for _, n in _INSTANT_COLUMNS)
    unreadable = [f"({c} is not null and {typed} is null)" for c, typed in _PARSED_FIELDS]
    unparsed = ("case when " + " or ".join(unreadable) + " then concat_ws(',', "
                + ", ".join(f"case when {test} then '{c}' end" for test, (c, _) in zip(unreadable, _PARSED_FIELDS,
                                                                                       strict=True))
                + ") end")
    return f"""
    with source_rows as materialized (
        {source}
    ),
    people as (
        select provider_code, person_ref, ldis_person_key(provider_code, person_ref) as person_key
        from (select distinct provider_code, person_ref from source_rows)
    ),
    parsed as (
        select *, {naive}, try_cast(r.intervention_seq as integer) as seq from source_rows as r
    ),
    instants as (
        select r.*,
            {_instant('r.start_at', 'start')} as start_utc,
            {_instant('r.end_at', 'end')} as end_utc,
            {_instant('r.record_updated_at', 'updated')} as updated_utc
        from parsed as r {zones}
    )
    select provider_code, file_hash, archive_seq, archived_at, row_number,
        people.person_key,
        incident_id,
        seq as intervention_seq,
        case when seq is null then intervention_seq end as intervention_seq_text,
        start_utc as start_at, end_utc as end_at, updated_utc as record_updated_at,
        -- the month in England: a naive time's own month (moving it over the spring gap never
        -- changes the month), an instant with an offset converted
        case when start_offset then strftime(timezone('Europe/London', start_utc), '%Y-%m')
             when start_utc is not null then strftime(start_naive, '%Y-%m') end as month,
        date_diff('second', start_utc, end_utc) / 60.0 as duration_minutes,
        {', '.join(STORED_TEXT)},
        {unparsed} as unparsed_fields
    from instants left join people using (provider_code, person_ref)
    """


def judged_rows_sql(rows_glob: str, files_glob: str | None = None) -> str:
    """The validate stage, SQL over raw.incident_rows: every version with its error rule (I01-I03)
    and warnings (I04, I08). With `files_glob`, each row's landing_path too. Columns a query does not
    use are not computed (DuckDB prunes them)."""
    typed = {"person_ref": "person_key"}
    missing = " ".join(
        f"when {typed.get(c, c)} is null and not contains(coalesce(unparsed_fields, ''), '{c}') then '{c}'"
        for c in IDENTIFYING)
    unreadable = " ".join(f"when contains(unparsed_fields, '{c}') then '{c}'" for c, _ in _PARSED_FIELDS)
    blank_other = " ".join(f"when {c} is null then '{c}'" for c in OTHER_REQUIRED)
    landing = ("left join (select distinct file_hash, landing_path from "
               f"read_parquet('{files_glob}')) as f on r.file_hash = f.file_hash") if files_glob else ""
    return f"""
    with rows as (
        select r.*, {'f.landing_path' if files_glob else 'cast(null as varchar) as landing_path'},
            case {missing} else null end as missing_field,
            case {unreadable} else null end as unreadable_field
        from read_parquet('{rows_glob}', union_by_name = true) as r {landing}
    )
    select *,
        case
            when missing_field is not null then 'I01'
            when unreadable_field is not null then 'I01'
            when intervention_type not in ({_in_list(INTERVENTION_TYPES)}) then 'I02'
            when reason is not null and reason not in ({_in_list(REASONS)}) then 'I02'
            when end_at < start_at then 'I03'
            when start_at > archived_at then 'I03'
            else null
        end as error_rule,
        case
            when missing_field is not null then missing_field
            when unreadable_field is not null then unreadable_field
            when intervention_type not in ({_in_list(INTERVENTION_TYPES)}) then 'intervention_type'
            when reason is not null and reason not in ({_in_list(REASONS)}) then 'reason'
            when end_at < start_at then 'end_at'
            when start_at > archived_at then 'start_at'
            else null
        end as error_item,
        case
            when intervention_type not in ({_in_list(INTERVENTION_TYPES)}) then intervention_type
            when reason is not null and reason not in ({_in_list(REASONS)}) then reason
            else null
        end as error_code,
        case
            when duration_minutes > 90 * 24 * 60 then true
            when intervention_type in ({_in_list(PHYSICAL_OR_MECHANICAL)}) and duration_minutes > 24 * 60 then true
            else false
        end as implausible_duration,
        case {blank_other} else null end as blank_field
    from rows
    """


@dataclass
class ValidateSummary:
    current_interventions: int = 0
    quarantined: int = 0
    amended: int = 0
    flags_by_rule: dict[str, int] = field(default_factory=dict)
    months: int = 0


def _cycle_of(month: str) -> int:
    return int(month[:4]) + (1 if int(month[5:7]) >= 4 else 0)


KEY = "provider_code, incident_id, intervention_seq"
# a row is current when it is valid and its key has one version, or it is the ranked winner
CURRENT = ("t.error_rule is null and (d.provider_code is null "
           "or (w.file_hash = t.file_hash and w.row_number = t.row_number))")
VERSIONS_JOIN = ("left join amended as d on t.provider_code = d.provider_code and t.incident_id = d.incident_id "
                 "and t.intervention_seq = d.intervention_seq "
                 "left join winners as w on t.provider_code = w.provider_code and t.incident_id = w.incident_id "
                 "and t.intervention_seq = w.intervention_seq")


def current_rows_sql(raw: Path, validated: Path) -> str:
    """SQL: the current interventions, as the staging model selects them: the typed rows of
    raw.incident_rows that the last validation covered, less the rows it left out and, for a key
    received more than once, every version but the one it chose (validated/incident_selection)."""
    selection = f"read_parquet('{rawstore.glob(validated, 'incident_selection')}')"
    return f"""
        select r.*, cast(coalesce(c.versions, 1) as integer) as versions
        from read_parquet('{rawstore.glob(raw, 'incident_rows')}', union_by_name = true) as r
        left join (select file_hash, row_number from {selection} where kind = 'left_out') as q
            on r.file_hash = q.file_hash and r.row_number = q.row_number
        left join (select * from {selection} where kind = 'chosen') as c
            on r.provider_code = c.provider_code and r.incident_id = c.incident_id
            and r.intervention_seq = c.intervention_seq
        where r.archive_seq <= (select max(archive_seq) from {selection} where kind = 'covered')
            and q.file_hash is null
            and (c.provider_code is null or (c.file_hash = r.file_hash and c.row_number = r.row_number))
    """


def read_current(settings: Settings) -> pl.DataFrame:
    """The current interventions (every column of raw.incident_rows, plus `versions`)."""
    with connect() as con:
        return con.sql(current_rows_sql(settings.raw_dir, settings.validated_dir)).pl()


def validate_feeds(settings: Settings, providers: pl.DataFrame, bed_days: pl.DataFrame) -> ValidateSummary:
    """Judge every version, choose the current one of each intervention, write the validated
    datasets and flags.

    The rows themselves are not copied: raw.incident_rows holds every version typed, and validation
    writes what decides which are current, in one file (`incident_selection`): the quarantined
    versions, for each key received more than once the chosen version, and the last archived file
    it judged (rows ingested later, by a run that stopped before validating them, are not current). Streamed,
    never materialising every row: (1) the keys received more than once (a group-by on three
    columns); (2) only those keys' valid versions are ranked (latest record_updated_at, then the
    later archived file, then the later row); (3) one narrow pass counts the current rows per
    provider and month; (4) one returns the rows that raise a flag."""
    ensure(settings)
    summary = ValidateSummary()
    raw = settings.raw_dir
    validated = settings.validated_dir
    rows_glob = rawstore.glob(raw, "incident_rows")
    judged = judged_rows_sql(rows_glob)
    with connect(settings.state / "duckdb_tmp") as con:
        # Pushed down, a filter on error_rule or current-ness is rewritten into the CASE expressions
        # behind them and evaluated apart from the projection that computes them anyway (measured:
        # about half the CPU of each pass); the raw scans have no selective filter to push.
        _run(con, "set disabled_optimizers = 'filter_pushdown'")
        _run(con, f"""
            create temp table amended as
            select {KEY}
            from read_parquet('{rows_glob}', union_by_name = true)
            where incident_id is not null and intervention_seq is not null
            group by all having count(*) > 1
        """)
        _run(con, f"""
            create temp table winners as
            select {KEY}, file_hash, row_number, versions from (
                select t.provider_code, t.incident_id, t.intervention_seq, t.file_hash, t.row_number,
                    row_number() over (
                        partition by t.provider_code, t.incident_id, t.intervention_seq
                        order by t.record_updated_at desc, t.archive_seq desc, t.row_number desc) as version_rank,
                    cast(count(*) over (partition by t.provider_code, t.incident_id, t.intervention_seq)
                         as integer) as versions
                from ({judged}) as t
                semi join amended as d
                    on t.provider_code = d.provider_code and t.incident_id = d.incident_id
                    and t.intervention_seq = d.intervention_seq
                where t.error_rule is null
            ) where version_rank = 1
        """)
        chosen = con.sql(f"select 'chosen' as kind, {KEY}, versions, file_hash, row_number from winners "
                         f"order by {KEY}").pl()
        summary.amended = chosen.filter(pl.col("versions") > 1).height
        # per month, the versions judged and the last file that added one; the last of all is the
        # last file this validation covers
        month_index = con.sql(f"""
            select {MONTH_KEY} as month, count(*) as versions, max(archive_seq) as last_archive_seq
            from read_parquet('{rows_glob}', union_by_name = true)
            group by all order by month
        """).pl()
        covered = month_index["last_archive_seq"].max()
        months_with_use = con.sql(f"""
            select t.provider_code, t.month, count(*) as interventions
            from ({judged}) as t {VERSIONS_JOIN}
            where {CURRENT}
            group by t.provider_code, t.month
        """).pl()
        summary.current_interventions = int(months_with_use["interventions"].sum() or 0)
        summary.months = months_with_use["month"].n_unique()
        # the rows that raise a flag: quarantined versions, current rows with a warning (few by nature)
        flagged = con.sql(f"""
            select t.provider_code, t.incident_id, coalesce(cast(t.intervention_seq as varchar),
                   t.intervention_seq_text) as intervention_seq, t.error_rule, t.error_item, t.error_code,
                   t.month, t.file_hash, t.landing_path, t.row_number, t.archived_at, t.implausible_duration,
                   t.blank_field, t.duration_minutes as minutes, cast(coalesce(w.versions, 1) as integer) as versions,
                   t.intervention_type
            from ({judged_rows_sql(rows_glob, rawstore.glob(raw, 'incident_files'))}) as t {VERSIONS_JOIN}
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
    selection = pl.concat([
        quarantine.select(pl.lit("left_out").alias("kind"), "file_hash", "row_number"),
        chosen,
        pl.DataFrame({"kind": ["covered"], "archive_seq": [covered]},
                     schema={"kind": pl.String, "archive_seq": pl.Int64}),
    ], how="diagonal_relaxed")
    rawstore.replace_partition(validated, "incident_selection", selection, "current")
    for name, frame in (("providers", providers), ("incident_bed_days", bed_days)):
        rawstore.replace_partition(validated, name, frame, "current")
    write_month_index(month_index, validated)
    _unreadable_notes(settings)
    flags = _flags(quarantine, warnings, months_with_use.select("provider_code", "month"), unregistered,
                   providers, bed_days, settings)
    _write_flags(validated, flags)
    for flag in flags:
        summary.flags_by_rule[str(flag["rule_id"])] = summary.flags_by_rule.get(str(flag["rule_id"]), 0) + 1
    return summary


def write_month_index(index: pl.DataFrame, validated: Path) -> int:
    """Per month, the versions validation judged and the last archived file that added one: the
    month's fingerprint, which tells the month sensor what to audit again."""
    rawstore.replace_partition(validated, "incident_months", index, "current")
    # a month left without versions (retention deleted them) keeps no audit
    months = set(index["month"].to_list())
    audited = (audit.name.removeprefix("month=") for audit in (validated / "incident_month_audit").glob("month=*"))
    _drop_audits(validated, [month for month in audited if month not in months])
    return index.height


def _unreadable_notes(settings: Settings) -> None:
    """A collection-level error per feed file DuckDB could not read (no incident_id header, bad bytes,
    a row it cannot read), with the reason."""
    files = rawstore.read(settings.raw_dir, "incident_files")
    files = files.filter(pl.col("status") == "unreadable") if files.height else files
    reasons = {path: detail or NO_HEADER for path, detail in files.select("landing_path", "detail").unique(
        "landing_path", keep="first").iter_rows()} if files.height else {}
    rows = [{"cycle_year": None, "source": "incident", "severity": "error",
             "message": f"{path}: {reasons[path]}; archived, not read"} for path in sorted(reasons)]
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
