"""Build small landing zones for tests and run ingest + validation on them (no Dagster)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.org_returns import ingest_org_returns, validate_org_returns
from orchestration.lib.register import (
    current_organisations,
    current_participants,
    ingest_participants,
    ingest_register,
)

ORGANISATIONS = [
    ("RXA", "Alpha Hospitals NHS Trust", "universal", "acute", "London"),
    ("RXB", "Beta Hospitals NHS Trust", "universal", "acute", "London"),
    ("RXS", "Sigma Partnership NHS Trust", "specialist", "mental_health", "Midlands"),
    ("RXN", "Nu Hospitals NHS Trust", "universal", "acute", "London"),  # in the register, not registered
]


def write_register(landing: Path, organisations: list[tuple[str, ...]] = ORGANISATIONS,
                   participants: dict[int, list[str]] | None = None) -> None:
    (landing / "register").mkdir(parents=True, exist_ok=True)
    lines = ["org_code,org_name,provider_type,org_type,region"] + [",".join(o) for o in organisations]
    (landing / "register" / "organisations.csv").write_text("\n".join(lines) + "\n")
    for cycle, codes in (participants or {2020: ["RXA", "RXB", "RXS"]}).items():
        (landing / str(cycle)).mkdir(parents=True, exist_ok=True)
        rows = ["org_code,registered_org_return,registered_staff_survey,registered_service_user_survey"]
        rows += [f"{code},Y,Y,Y" for code in codes]
        (landing / str(cycle) / "participants.csv").write_text("\n".join(rows) + "\n")


def ingest_and_validate(landing: Path, state: Path, cycle_year: int = 2020) -> pl.DataFrame:
    """Run the ingest and validate stages for one cycle; return the cycle's flags."""
    raw, validated = state / "raw", state / "validated"
    rawstore.ensure_datasets(raw, rawstore.SCHEMAS)
    rawstore.ensure_datasets(validated, rawstore.VALIDATED_SCHEMAS)
    archive = Archive(state / "archive", raw)
    ingest_register(archive, landing, raw, validated)
    ingest_participants(archive, landing, cycle_year, raw, validated)
    ingest_org_returns(archive, landing, raw, cycle_year)
    validate_org_returns(raw, validated, cycle_year, current_organisations(validated),
                         current_participants(validated, cycle_year))
    return rawstore.read(validated, "flags", f"where cycle_year = {cycle_year}")
