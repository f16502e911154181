"""Helpers to build tiny raw/validated Parquet datasets and run the dbt project on them.

The dataset shapes are those of docs/design.md ("Raw datasets", "Validated datasets"). Every
dataset directory gets an ``_empty.parquet`` carrying the schema (as the real pipeline does),
so the dbt sources' globs never fail even when nothing else was written.

Typical use::

    ds = ParquetDatasets(tmp_path)
    ds.write_all_empty()
    ds.write("validated", "register_organisations", [org_row(...), ...])
    ds.write("validated", "org_return_items", rows, partition="cycle=2020")
    result = run_dbt(["build"], ds.env())
    assert result.returncode == 0, result.stdout
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib import rawstore
from orchestration.lib.flags import flag_id
from orchestration.lib.org_returns import normalise_response

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
CATALOGUE_DIR = REPO_ROOT / "seeds" / "catalogue"


def _arrow_schemas(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, pa.Schema]:
    """The pipeline's own dataset schemas (orchestration.lib.rawstore), as Arrow schemas."""
    return {name: rawstore.empty_frame(dict(schema)).to_arrow().schema for name, schema in schemas.items()}


RAW_SCHEMAS = _arrow_schemas(rawstore.SCHEMAS)
VALIDATED_SCHEMAS = _arrow_schemas(rawstore.VALIDATED_SCHEMAS)

LAYERS: dict[str, dict[str, pa.Schema]] = {"raw": RAW_SCHEMAS, "validated": VALIDATED_SCHEMAS}


def _load_catalogue(name: str, key: str) -> dict[str, dict[str, str]]:
    with (CATALOGUE_DIR / name).open(newline="", encoding="utf-8") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


ITEM_CATALOGUE = _load_catalogue("org_return_items.csv", "item_id")
RULE_CATALOGUE = _load_catalogue("validation_rules.csv", "rule_id")


@dataclass
class ParquetDatasets:
    """A raw and a validated dataset root plus a working DuckDB path under ``base``."""

    base: Path

    @property
    def raw_dir(self) -> Path:
        return self.base / "raw"

    @property
    def validated_dir(self) -> Path:
        return self.base / "validated"

    @property
    def working_db(self) -> Path:
        return self.base / "working.duckdb"

    def root(self, layer: str) -> Path:
        return {"raw": self.raw_dir, "validated": self.validated_dir}[layer]

    def write_all_empty(self) -> None:
        """Write every raw and validated dataset's `_empty.parquet`, as the pipeline does."""
        rawstore.ensure_datasets(self.raw_dir, rawstore.SCHEMAS)
        rawstore.ensure_datasets(self.validated_dir, rawstore.VALIDATED_SCHEMAS)

    def write(
        self,
        layer: str,
        dataset: str,
        rows: Sequence[Mapping[str, Any]],
        partition: str | None = None,
        file_name: str | None = None,
    ) -> Path:
        """Write ``rows`` (dicts; missing columns are NULL) as one part file of a dataset.

        ``partition`` is a relative directory such as ``cycle=2020`` or
        ``source=org_return/cycle=2020``.
        """
        schema = LAYERS[layer][dataset]
        unknown = {key for row in rows for key in row} - set(schema.names)
        if unknown:
            raise ValueError(f"{dataset}: unknown columns {sorted(unknown)}")
        directory = self.root(layer) / dataset
        if partition:
            directory = directory / partition
        directory.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows], schema)
        path = directory / (file_name or f"part-{uuid.uuid4().hex[:12]}.parquet")
        pq.write_table(table, path)
        return path

    def env(self) -> dict[str, str]:
        """Environment for a dbt run against these datasets."""
        return dbt_env(self.working_db, self.raw_dir, self.validated_dir)


def dbt_env(working_db: Path, raw_dir: Path, validated_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LDIS_WORKING_DB": str(Path(working_db).resolve()),
            "LDIS_RAW_DIR": str(Path(raw_dir).resolve()),
            "LDIS_VALIDATED_DIR": str(Path(validated_dir).resolve()),
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    return env


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: Sequence[str], env: Mapping[str, str], target_path: Path | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run the project's dbt in a subprocess (isolated from the caller's process state).

    ``target_path`` keeps the run's artefacts and logs out of dbt_project/target (use a temp
    directory in tests so parallel runs do not collide).
    """
    command = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if target_path is not None:
        command += ["--target-path", str(target_path), "--log-path", str(Path(target_path) / "logs")]
    return subprocess.run(
        command, env=dict(env), cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- row builders -----------------------------------------------------------------------------


def org_row(file_hash: str, org_code: str, provider_type: str, org_type: str, region: str = "London") -> dict:
    return {
        "file_hash": file_hash,
        "org_code": org_code,
        "org_name": f"{org_code} NHS Trust",
        "provider_type": provider_type,
        "org_type": org_type,
        "region": region,
    }


def participant_row(file_hash: str, cycle_year: int, org_code: str, org_return: bool = True) -> dict:
    return {
        "file_hash": file_hash,
        "cycle_year": cycle_year,
        "org_code": org_code,
        "registered_org_return": org_return,
        "registered_staff_survey": True,
        "registered_service_user_survey": True,
    }


def received_row(file_hash: str, source: str, cycle_year: int | None, landing_path: str, archive_seq: int) -> dict:
    return {
        "file_hash": file_hash,
        "source": source,
        "cycle_year": cycle_year,
        "landing_path": landing_path,
        "size_bytes": 1000,
        "archived_at": datetime(2021, 1, 1).astimezone(),
        "archive_seq": archive_seq,
    }


def workbook_rows(
    file_hash: str,
    cycle_year: int,
    org_code: str | None,
    submitted_at: datetime | None,
    archive_seq: int,
    parse_status: str = "parsed",
    parse_detail: str | None = None,
) -> dict:
    """One org_return_files row."""
    landing_path = f"{cycle_year}/org_returns/{org_code or 'unknown'}-{archive_seq}.xlsx"
    return {
        "file_hash": file_hash,
        "cycle_year": cycle_year,
        "landing_path": landing_path,
        "archive_seq": archive_seq,
        "archived_at": submitted_at,
        "parse_status": parse_status,
        "parse_detail": parse_detail,
        "org_code": org_code,
        "org_name": org_code and f"{org_code} NHS Trust",
        "collection_year_raw": str(cycle_year),
        "submitted_by": "someone@example.nhs.uk",
        "submitted_at": submitted_at,
        "submitted_at_raw": submitted_at.isoformat() if submitted_at else None,
        "template_version": f"LDIS-{cycle_year}",
    }


def version_row(file_hash: str, cycle_year: int, org_code: str, submitted_at: datetime, archive_seq: int) -> dict:
    return {
        "file_hash": file_hash,
        "cycle_year": cycle_year,
        "org_code": org_code,
        "submitted_at": submitted_at,
        "archive_seq": archive_seq,
        "landing_path": f"{cycle_year}/org_returns/{org_code}-{archive_seq}.xlsx",
    }


def item_rows(
    file_hash: str,
    cycle_year: int,
    org_code: str,
    responses: Mapping[str, str | None],
    not_applying: Iterable[str] = (),
    follow_on_dead: Iterable[str] = (),
) -> list[dict]:
    """org_return_items rows of one version; response types from the item catalogue."""
    not_applying, follow_on_dead = set(not_applying), set(follow_on_dead)
    rows = []
    for item_id, raw in responses.items():
        item = ITEM_CATALOGUE[item_id]
        rows.append(
            {
                "file_hash": file_hash,
                "cycle_year": cycle_year,
                "org_code": org_code,
                "item_id": item_id,
                "response_type": item["response_type"],
                "response_raw": raw,
                "response_norm": normalise_response(raw),
                "applies": item_id not in not_applying,
                "follow_on_live": item_id not in follow_on_dead,
                "na_allowed": item["not_applicable_allowed"] == "Y",
                "in_catalogue": True,
            }
        )
    return rows


def flag_row(
    cycle_year: int,
    org_code: str | None,
    rule_id: str,
    item_id: str | None,
    file_hash: str | None,
    submitted_value: str | None = None,
    expected: str | None = None,
    extra: str = "",
) -> dict:
    """A flags row; the flag id follows the design (file hash as `extra` for file rules)."""
    rule = RULE_CATALOGUE[rule_id]
    if rule["applies_to"] == "file" and not extra:
        extra = file_hash or ""
    return {
        "flag_id": flag_id(cycle_year, org_code, rule_id, item_id, extra),
        "cycle_year": cycle_year,
        "org_code": org_code,
        "rule_id": rule_id,
        "severity": rule["severity"],
        "item_id": item_id,
        "file_hash": file_hash,
        "landing_path": None,
        "response_key": None,
        "submitted_value": submitted_value,
        "expected": expected,
        "message": rule["message_to_submitter"],
    }
