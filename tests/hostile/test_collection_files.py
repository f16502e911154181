"""Hostile register and participants files: each gets a clear collection-level error naming the
file (or is read correctly), never a crash; the landing zone is not touched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.register import MAX_REGISTER_ROWS, ingest_participants, ingest_register
from tests.hostile.corpus import INJECTIONS
from tests.hostile.landing_state import fingerprint

HEADER = "org_code,org_name,provider_type,org_type,region"
GOOD = "RXA,Alpha Hospitals NHS Trust,universal,acute,London\nRXB,Beta NHS Trust,universal,acute,London\n"
P_HEADER = "org_code,registered_org_return,registered_staff_survey,registered_service_user_survey"


@dataclass(frozen=True)
class CollectionCase:
    case_id: str
    source: str  # register | participants
    content: bytes
    error: str | None  # a phrase of the collection-level error, or None: read without error
    count: int | None = None  # organisations (or participants) read, when it is read
    fault: str = ""


CASES = [
    CollectionCase("register_semicolons", "register", f"{HEADER}\n{GOOD}".replace(",", ";").encode(),
                   "region is missing (the header is separated by ';', not commas)",
                   fault="semicolon-delimited register (European locale)"),
    CollectionCase("register_header_only", "register", f"{HEADER}\n".encode(), "lists no organisation", 0,
                   fault="a register with a header and no rows"),
    CollectionCase("register_missing_column", "register",
                   b"org_code,org_name,provider_type,org_type\nRXA,A,universal,acute\n",
                   "column region is missing", fault="the region column dropped"),
    CollectionCase("register_zero_bytes", "register", b"", "cannot be read", fault="an empty register"),
    CollectionCase("register_utf16", "register", f"{HEADER}\n{GOOD}".encode("utf-16"), "is missing",
                   fault="a register saved as UTF-16 (Excel 'Unicode text')"),
    CollectionCase("register_xlsx_named_csv", "register", b"PK\x03\x04" + b"\0" * 200, "cannot be read",
                   fault="an Excel workbook saved as organisations.csv"),
    CollectionCase("register_latin1", "register", f"{HEADER}\nRXA,Société Hospitals,universal,acute,London\n"
                   .encode("latin-1"), None, 1, fault="a Latin-1 register (accented names survive as data)"),
    CollectionCase("register_bom_crlf_messy", "register",
                   "\ufeff Org_Code , ORG_NAME,provider_type,org_type,region\r\n rxa ,A,Universal,ACUTE,London\r\n"
                   .encode(), None, 1, fault="BOM, CRLF, spaces and odd case: read as the same register"),
    CollectionCase("register_duplicate_codes", "register", f"{HEADER}\n{GOOD}RXA,Again,universal,acute,London\n"
                   .encode(), None, 2, fault="an organisation listed twice (the first row is kept)"),
    CollectionCase("register_injection", "register", f'{HEADER}\nRXA,"{INJECTIONS["eq"]}",universal,acute,London\n'
                   .encode(), None, 1, fault="a formula as a trust's name (kept as text)"),
    CollectionCase("register_too_many_rows", "register",
                   (HEADER + "\n" + "".join(f"R{n:05d},N,universal,acute,L\n" for n in range(MAX_REGISTER_ROWS + 1)))
                   .encode(), "over the limit", fault="a register of 50,001 rows"),
    CollectionCase("participants_semicolons", "participants", f"{P_HEADER}\nRXA,Y,Y,Y\n".replace(",", ";").encode(),
                   "separated by ';'", fault="semicolon-delimited participants"),
    CollectionCase("participants_header_only", "participants", f"{P_HEADER}\n".encode(), "lists no trust", 0,
                   fault="participants with a header and no rows"),
    CollectionCase("participants_lower_case", "participants", f"{P_HEADER}\nrxa,y,n,Y\n".encode(), None, 1,
                   fault="lower-case codes and flags (read the same)"),
]


def _zone(tmp_path: Path, case: CollectionCase) -> Path:
    landing = tmp_path / "landing"
    (landing / "register").mkdir(parents=True)
    (landing / "2020").mkdir()
    if case.source == "register":
        (landing / "register" / "organisations.csv").write_bytes(case.content)
    else:
        (landing / "register" / "organisations.csv").write_text(f"{HEADER}\n{GOOD}")
        (landing / "2020" / "participants.csv").write_bytes(case.content)
    return landing


@pytest.mark.parametrize("case", CASES, ids=[c.case_id for c in CASES])
def test_collection_file_case(tmp_path: Path, case: CollectionCase) -> None:
    landing = _zone(tmp_path, case)
    before = fingerprint(landing)
    state = tmp_path / "state"
    raw, validated = state / "raw", state / "validated"
    rawstore.ensure_datasets(raw, rawstore.SCHEMAS)
    rawstore.ensure_datasets(validated, rawstore.VALIDATED_SCHEMAS)
    archive = Archive(state / "archive", raw)
    outcome = ingest_register(archive, landing, raw, validated)
    if case.source == "participants":
        assert outcome["error"] is None
        outcome = ingest_participants(archive, landing, 2020, raw, validated)
    name = "register/organisations.csv" if case.source == "register" else "2020/participants.csv"
    if case.error is None:
        assert outcome["error"] is None
    else:
        assert outcome["error"] and case.error in str(outcome["error"]) and name in str(outcome["error"])
    if case.count is not None:
        assert outcome["organisations" if case.source == "register" else "participants"] == case.count
    assert fingerprint(landing) == before
    assert len(list((state / "archive").rglob("*"))) >= 1  # what was received is archived


def test_collection_cases_are_distinct() -> None:
    assert len({c.fault for c in CASES}) == len(CASES)
