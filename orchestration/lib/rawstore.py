"""Parquet datasets of the raw and validated layers (see docs/design.md).

Raw datasets are append-only: each ingest batch writes one new part file per cycle, named by the
content hashes it holds, so a re-run writes nothing and a crash never leaves a half file (parts are
written to a temporary name and renamed). Validated datasets are replaced whole per cycle.
Every dataset directory carries `_empty.parquet`, a zero-row file with the full schema, so readers
(DuckDB, dbt, Spark) never fail on a glob that matches nothing yet.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

UTC_TS = pl.Datetime("us", "UTC")

# Incident feeds (issue 6; lib/incidents.py): the feed's columns as text, person_ref excepted (it is
# replaced by person_key at ingestion and never written here).
INCIDENT_FEED_COLUMNS = (
    "incident_id", "intervention_seq", "record_updated_at", "site_code", "start_at", "end_at",
    "intervention_type", "reason", "authority", "in_care_plan", "deescalation_attempted", "staff_involved",
    "learning_disability", "autistic", "age_band", "gender", "ethnic_group", "injury_person", "injury_staff",
    "injury_other", "death_or_serious_injury", "police_involved", "body_worn_camera", "post_incident_support",
    "post_incident_review", "care_plan_reviewed",
)
PROVIDER_COLUMNS = ("provider_code", "provider_name", "sector", "setting_type", "commissioner_code", "org_code",
                    "training_certification")

# Every version received is kept in raw; the version in the landing zone now is the validated one.
REGISTER_ORGANISATIONS: dict[str, pl.DataType] = {
    "file_hash": pl.String, "org_code": pl.String, "org_name": pl.String,
    "provider_type": pl.String, "org_type": pl.String, "region": pl.String,
}
PARTICIPANTS: dict[str, pl.DataType] = {
    "file_hash": pl.String, "cycle_year": pl.Int32, "org_code": pl.String,
    "registered_org_return": pl.Boolean, "registered_staff_survey": pl.Boolean,
    "registered_service_user_survey": pl.Boolean,
}

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "received_files": {
        "file_hash": pl.String, "source": pl.String, "cycle_year": pl.Int32,
        "landing_path": pl.String, "size_bytes": pl.Int64, "archived_at": UTC_TS,
        "archive_seq": pl.Int64,
    },
    "register_organisations": REGISTER_ORGANISATIONS,
    "participants": PARTICIPANTS,
    "org_return_files": {
        "file_hash": pl.String, "cycle_year": pl.Int32, "landing_path": pl.String,
        "archive_seq": pl.Int64, "archived_at": UTC_TS, "parse_status": pl.String,
        "parse_detail": pl.String, "org_code": pl.String, "org_name": pl.String,
        "collection_year_raw": pl.String, "submitted_by": pl.String, "submitted_at": UTC_TS,
        "submitted_at_raw": pl.String, "template_version": pl.String,
    },
    "org_return_responses": {
        "file_hash": pl.String, "cycle_year": pl.Int32, "row_number": pl.Int32,
        "item_id": pl.String, "response_raw": pl.String, "comment": pl.String,
    },
    # trusts' answers to their flag reports: one row per answered row of a returned workbook/CSV,
    # or one row with `problem` set for a file that could not be read
    "flag_responses": {
        "file_hash": pl.String, "cycle_year": pl.Int32, "landing_path": pl.String,
        "archive_seq": pl.Int64, "archived_at": UTC_TS, "row_number": pl.Int32,
        "flag_id": pl.String, "response_raw": pl.String, "response": pl.String,
        "explanation": pl.String, "problem": pl.String,
    },
    # surveys (lib/surveys.py): one row per distinct CSV file, per CSV row, per non-blank answer
    "survey_files": {
        "file_hash": pl.String, "source": pl.String, "cycle_year": pl.Int32, "landing_path": pl.String,
        "archive_seq": pl.Int64, "archived_at": UTC_TS, "parse_status": pl.String,
        "parse_detail": pl.String, "data_rows": pl.Int64,
    },
    "survey_rows": {
        "source": pl.String, "file_hash": pl.String, "cycle_year": pl.Int32, "row_number": pl.Int32,
        "response_key": pl.String, "org_code_raw": pl.String, "org_code": pl.String,
        "stamp_raw": pl.String, "stamp": UTC_TS, "batch_id": pl.String,
    },
    "survey_answers": {
        "source": pl.String, "file_hash": pl.String, "cycle_year": pl.Int32, "row_number": pl.Int32,
        "question_id": pl.String, "answer_raw": pl.String,
    },
    # every version of every incident row received, typed at ingest (lib/incidents.py::prepared_rows_sql)
    "incident_rows": {
        "provider_code": pl.String, "file_hash": pl.String, "archive_seq": pl.Int64,
        "archived_at": UTC_TS, "row_number": pl.Int64, "person_key": pl.String,
        "incident_id": pl.String, "intervention_seq": pl.Int32, "intervention_seq_text": pl.String,
        "start_at": UTC_TS, "end_at": UTC_TS, "record_updated_at": UTC_TS, "month": pl.String,
        "duration_minutes": pl.Float64,
        **{column: pl.String for column in INCIDENT_FEED_COLUMNS
           if column not in ("incident_id", "intervention_seq", "start_at", "end_at", "record_updated_at")},
        "unparsed_fields": pl.String,
    },
    "incident_files": {
        "file_hash": pl.String, "provider_code": pl.String, "landing_path": pl.String,
        "archive_seq": pl.Int64, "archived_at": UTC_TS, "status": pl.String, "rows": pl.Int64,
        "detail": pl.String,  # why an unreadable file was not read
    },
}

VALIDATED_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # the current register and participants (the versions in the landing zone now)
    "register_organisations": REGISTER_ORGANISATIONS,
    "participants": PARTICIPANTS,
    # what the run could not do for want of a file (e.g. no register): one row per problem
    "collection_notes": {
        "cycle_year": pl.Int32, "source": pl.String, "severity": pl.String, "message": pl.String,
    },
    "org_return_versions": {
        "file_hash": pl.String, "cycle_year": pl.Int32, "org_code": pl.String,
        "submitted_at": UTC_TS, "archive_seq": pl.Int64, "landing_path": pl.String,
    },
    "org_return_items": {
        "file_hash": pl.String, "cycle_year": pl.Int32, "org_code": pl.String,
        "item_id": pl.String, "response_type": pl.String, "response_raw": pl.String,
        "response_norm": pl.String, "applies": pl.Boolean, "follow_on_live": pl.Boolean,
        "na_allowed": pl.Boolean, "in_catalogue": pl.Boolean,
    },
    # surveys: every row received with its status, and the answers of the responses that count
    "survey_responses": {
        "source": pl.String, "cycle_year": pl.Int32, "file_hash": pl.String, "landing_path": pl.String,
        "row_number": pl.Int32, "response_key": pl.String, "org_code": pl.String, "org_code_raw": pl.String,
        "stamp": UTC_TS, "batch_id": pl.String, "copies": pl.Int64, "is_kept_copy": pl.Boolean,
        "org_registered": pl.Boolean, "cap_rank": pl.Int64, "trust_received": pl.Int64, "status": pl.String,
    },
    "survey_answers": {
        "source": pl.String, "cycle_year": pl.Int32, "file_hash": pl.String, "row_number": pl.Int32,
        "response_key": pl.String, "org_code": pl.String, "question_id": pl.String, "answer_raw": pl.String,
        "answer_norm": pl.String, "answer_value": pl.String, "routed_out": pl.Boolean,
        "parent_live": pl.Boolean, "counts_as_answer": pl.Boolean,
    },
    "flags": {
        "flag_id": pl.String, "cycle_year": pl.Int32, "org_code": pl.String,
        "rule_id": pl.String, "severity": pl.String, "item_id": pl.String,
        "file_hash": pl.String, "landing_path": pl.String, "response_key": pl.String,
        "submitted_value": pl.String, "expected": pl.String, "message": pl.String,
    },
    # which plausibility rules were evaluated per cycle (and trust), and why not where not (R10)
    "rule_evaluations": {
        "cycle_year": pl.Int32, "rule_id": pl.String, "org_code": pl.String, "status": pl.String,
        "detail": pl.String,
    },
    # what validation decided, in one file replaced whole (so a reader never sees half a decision):
    # kind 'left_out' (a quarantined row: file_hash, row_number), 'chosen' (for a key received more
    # than once, the version that counts and how many valid versions there are) and 'covered' (one
    # row: the last archive_seq judged; rows archived later are not current until validated)
    "incident_selection": {
        "kind": pl.String, "provider_code": pl.String, "incident_id": pl.String, "intervention_seq": pl.Int32,
        "versions": pl.Int32, "file_hash": pl.String, "row_number": pl.Int64, "archive_seq": pl.Int64,
    },
    "incident_quarantine": {
        "provider_code": pl.String, "incident_id": pl.String, "intervention_seq": pl.String,
        "rule_id": pl.String, "item_id": pl.String, "detail": pl.String, "month": pl.String,
        "cycle_year": pl.Int32, "file_hash": pl.String, "landing_path": pl.String, "row_number": pl.Int64,
    },
    "incident_bed_days": {
        "provider_code": pl.String, "month": pl.String, "occupied_bed_days": pl.Float64, "file_hash": pl.String,
    },
    # the incident feed month by month (lib/incident_months.py): what validation judged in each month
    # (versions received, the last file that added one), replaced whole by each validation...
    "incident_months": {"month": pl.String, "versions": pl.Int64, "last_archive_seq": pl.Int64},
    # ...how many times `ldis reread-incidents` typed each month again (part of its fingerprint: the
    # versions are the same, but their typed values may not be, so the month is audited again)...
    "incident_month_rereads": {"month": pl.String, "rereads": pl.Int64},
    # ...and each month's audit, one partition per month (month=YYYY-MM), replaced by re-auditing it:
    # GX's incident_feed suite on the month's versions against the SQL quarantine
    "incident_month_audit": {
        "month": pl.String, "versions": pl.Int64, "last_archive_seq": pl.Int64, "sql_quarantined": pl.Int64,
        "gx_failed": pl.Int64, "disagreements": pl.Int64, "agrees": pl.Boolean, "disagreeing_rows": pl.String,
    },
    "providers": {column: pl.String for column in ("file_hash", *PROVIDER_COLUMNS)},
    # monthly aggregates kept when `ldis retention --delete` removes the detail behind them
    "retained_monthly": {
        "provider_code": pl.String, "month": pl.String, "intervention_type": pl.String,
        "incidents": pl.Int32, "people": pl.Int32, "total_minutes": pl.Float64,
    },
}


def empty_frame(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Columns of the schema, in its order and types (missing ones null)."""
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def _write_atomically(frame: pl.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.write_parquet(temporary, compression="zstd", statistics=True)
    os.replace(temporary, target)


def replace_directory(target: Path, built: Path) -> None:
    """Swap a fully built directory in place of `target` by renames: a reader sees the old folder or
    the new one, never a half-written one. The old folder is deleted afterwards."""
    outgoing = target.with_name(f".{target.name}.outgoing")
    shutil.rmtree(outgoing, ignore_errors=True)
    if target.exists():
        os.replace(target, outgoing)
    os.replace(built, target)
    shutil.rmtree(outgoing, ignore_errors=True)


# Partitions that a dbt source reads on their own (for lineage: the flag models wait for the
# plausibility asset), so they carry their own schema file too.
SOURCE_PARTITIONS: dict[str, tuple[str, ...]] = {"flags": ("source=plausibility",)}


def ensure_datasets(base: Path, schemas: dict[str, dict[str, pl.DataType]]) -> None:
    for name, schema in schemas.items():
        for folder in ("", *SOURCE_PARTITIONS.get(name, ())):
            marker = base / name / folder / "_empty.parquet"
            if not marker.exists():
                _write_atomically(empty_frame(schema), marker)


def batch_key(hashes: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(hashes))).encode()).hexdigest()[:16]


def append(base: Path, name: str, frame: pl.DataFrame, cycle_year: int | None, key: str) -> Path | None:
    """Append a batch to a raw dataset (no-op for an empty frame or a batch already written)."""
    if frame.is_empty():
        return None
    partition = f"cycle={cycle_year}" if cycle_year is not None else "cycle=none"
    target = base / name / partition / f"part-{key}.parquet"
    if not target.exists():
        _write_atomically(conform(frame, SCHEMAS[name]), target)
    return target


def replace_partition(base: Path, name: str, frame: pl.DataFrame, partition: str) -> Path:
    """Replace one partition of a validated dataset whole (e.g. partition 'source=x/cycle=2020')."""
    target = base / name / partition / "data.parquet"
    _write_atomically(conform(frame, VALIDATED_SCHEMAS[name]), target)
    return target


def glob(base: Path, name: str) -> str:
    return str(base / name / "**" / "*.parquet")


def read(base: Path, name: str, where: str = "") -> pl.DataFrame:
    """Read a dataset (all its part files) with DuckDB; `where` is an optional SQL filter."""
    query = f"select * from read_parquet(?, union_by_name = true, hive_partitioning = false) {where}"
    with duckdb.connect() as con:
        table = con.sql(query, params=[glob(base, name)]).to_arrow_table()
    return pl.from_arrow(table)  # type: ignore[return-value]
