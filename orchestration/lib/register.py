"""The register (organisations, providers) and each cycle's participants, from the landing zone.

The landing zone's `register/` is the only source of organisations for a run. Each version is kept in
the raw layer; the one present in the landing zone now is the current one, written whole to the
validated layer (empty when the file is absent, which is a collection-level error).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.landing import participants_file, register_file

ORGANISATION_COLUMNS = ("org_code", "org_name", "provider_type", "org_type", "region")
PARTICIPANT_COLUMNS = (
    "org_code", "registered_org_return", "registered_staff_survey", "registered_service_user_survey",
)
PROVIDER_TYPES = {"specialist", "universal"}
ORG_TYPES = {"acute", "community", "mental_health", "ambulance", "cic"}


class CsvLayoutError(ValueError):
    """The CSV lacks a column of the contract's layout."""


@dataclass(frozen=True)
class Organisation:
    org_code: str
    org_name: str
    provider_type: str
    org_type: str
    region: str


# A register or participants file lists trusts (about 230 in England); far more rows is not a register.
MAX_REGISTER_ROWS = 50_000


def read_text_csv(path: Path, required: tuple[str, ...], max_rows: int = MAX_REGISTER_ROWS) -> pl.DataFrame:
    """A small CSV as trimmed text; header names matched trimmed and case-insensitively.

    At most `max_rows` rows are read (one more tells that there are too many): the limit bounds the
    time and memory a hostile file can take (docs/limits.md)."""
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True,
                        n_rows=max_rows + 1)
    if frame.height > max_rows:
        raise CsvLayoutError(f"more than {max_rows:,} rows, over the limit for this file")
    frame = frame.rename({name: name.strip().lower().lstrip("\ufeff") for name in frame.columns})
    missing = [column for column in required if column not in frame.columns]
    if missing:
        hint = next((f" (the header is separated by '{d}', not commas)" for d in (";", "\t", "|")
                     if len(frame.columns) == 1 and d in frame.columns[0]), "")
        raise CsvLayoutError(f"column {', '.join(missing)} is missing{hint}")
    return frame.select(
        [pl.col(c).str.strip_chars().replace("", None).alias(c) for c in required]
    )


def ingest_register(archive: Archive, landing: Path, raw_dir: Path, validated_dir: Path) -> dict[str, object]:
    """Archive the register, keep the version in raw, make it current. Returns what happened."""
    source = register_file(landing, "organisations.csv")
    current = pl.DataFrame(schema=rawstore.VALIDATED_SCHEMAS["register_organisations"])
    outcome: dict[str, object] = {"present": False, "organisations": 0, "error": None}
    if source is None or source.outside_link:
        outcome["error"] = "register/organisations.csv is missing: nothing that needs the register is validated"
    else:
        (receipt,) = archive.receive([source])
        try:
            frame = read_text_csv(archive.path_of(receipt.file_hash), ORGANISATION_COLUMNS)
        except (CsvLayoutError, pl.exceptions.PolarsError) as error:
            outcome["error"] = f"register/organisations.csv cannot be read: {error}"
        else:
            frame = (
                frame.with_columns(
                    pl.col("org_code").str.to_uppercase(),
                    pl.col("provider_type").str.to_lowercase(),
                    pl.col("org_type").str.to_lowercase(),
                    pl.lit(receipt.file_hash).alias("file_hash"),
                )
                .filter(pl.col("org_code").is_not_null())
                .unique("org_code", keep="first", maintain_order=True)
            )
            rawstore.append(raw_dir, "register_organisations", frame, None, receipt.file_hash[:16])
            current = frame
            outcome.update(present=True, organisations=frame.height, file_hash=receipt.file_hash)
            if frame.is_empty():
                outcome["error"] = ("register/organisations.csv lists no organisation: nothing that needs the "
                                    "register is validated")
    rawstore.replace_partition(validated_dir, "register_organisations", current, "current")
    return outcome


def ingest_participants(archive: Archive, landing: Path, cycle_year: int, raw_dir: Path,
                        validated_dir: Path) -> dict[str, object]:
    source = participants_file(landing, cycle_year)
    current = pl.DataFrame(schema=rawstore.VALIDATED_SCHEMAS["participants"])
    outcome: dict[str, object] = {"present": False, "participants": 0, "error": None}
    if source is None or source.outside_link:
        outcome["error"] = f"{cycle_year}/participants.csv is missing: no trust is registered for {cycle_year} yet"
    else:
        (receipt,) = archive.receive([source])
        try:
            frame = read_text_csv(archive.path_of(receipt.file_hash), PARTICIPANT_COLUMNS)
        except (CsvLayoutError, pl.exceptions.PolarsError) as error:
            outcome["error"] = f"{cycle_year}/participants.csv cannot be read: {error}"
        else:
            flags = [c for c in PARTICIPANT_COLUMNS if c != "org_code"]
            frame = (
                frame.with_columns(
                    pl.col("org_code").str.to_uppercase(),
                    *[pl.col(c).str.to_uppercase().eq("Y").fill_null(False).alias(c) for c in flags],
                    pl.lit(receipt.file_hash).alias("file_hash"),
                    pl.lit(cycle_year, dtype=pl.Int32).alias("cycle_year"),
                )
                .filter(pl.col("org_code").is_not_null())
                .unique("org_code", keep="first", maintain_order=True)
            )
            rawstore.append(raw_dir, "participants", frame, cycle_year, receipt.file_hash[:16])
            current = frame
            outcome.update(present=True, participants=frame.height, file_hash=receipt.file_hash)
            if frame.is_empty():
                outcome["error"] = (f"{cycle_year}/participants.csv lists no trust: the register alone decides "
                                    "who is registered (F03)")
    rawstore.replace_partition(validated_dir, "participants", current, f"cycle={cycle_year}")
    return outcome


def current_organisations(validated_dir: Path) -> dict[str, Organisation]:
    frame = rawstore.read(validated_dir, "register_organisations")
    return {
        row["org_code"]: Organisation(**{c: row[c] for c in ORGANISATION_COLUMNS})
        for row in frame.iter_rows(named=True)
    }


def current_participants(validated_dir: Path, cycle_year: int) -> pl.DataFrame | None:
    """The cycle's participants.csv as read; None without one (then the register alone decides)."""
    frame = rawstore.read(validated_dir, "participants", f"where cycle_year = {int(cycle_year)}")
    return frame if frame.height else None
