"""Trusts' answers to their flag reports (`<cycle>/flag_responses/*.xlsx|*.csv`).

A returned flag report (the workbook `lib/flag_report.py` writes, filled in) or a CSV
`flag_id,response,explanation`. Each file is archived by hash like any other submission; each
answered row becomes a raw row. Nothing is judged here except the file's shape and the response
word: whether the flag exists, and whether it can be confirmed, is decided in dbt against the flags
(`int_flag_responses_confirmed`, `flag_response_problems`). A file that cannot be read becomes one
row naming the problem; it never stops the run.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.landing import discover_cycle_files

# The response words of the report's drop-down, matched trimmed and case-insensitively.
RESPONSES = {"confirmed": "Confirmed", "will resubmit": "Will resubmit"}
# Header labels of the report's sheet (lib/flag_report.py) and of the CSV, normalised.
FLAG_ID_LABELS = {"flag id", "flag_id"}
RESPONSE_LABELS = {"response"}
EXPLANATION_LABELS = {"explanation"}
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ParsedRow:
    row_number: int
    flag_id: str | None
    response_raw: str | None
    response: str | None  # 'Confirmed' | 'Will resubmit' | None (not a valid response)
    explanation: str | None
    problem: str | None = None


def _label(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _row(row_number: int, flag: object, response: object, explanation: object) -> ParsedRow | None:
    flag_text, response_text, explanation_text = _text(flag), _text(response), _text(explanation)
    if flag_text is None and response_text is None and explanation_text is None:
        return None  # a blank row
    if response_text is None and explanation_text is None:
        return None  # a flag the trust did not answer (yet)
    word = RESPONSES.get(_label(response_text))
    problem = None
    if flag_text is None:
        problem = "no flag id on this row"
    elif word is None:
        problem = f"response '{response_text or ''}' is not one of Confirmed, Will resubmit"
    return ParsedRow(row_number, flag_text, response_text, word, explanation_text, problem)


def _columns(header: list[object]) -> tuple[int, int, int] | None:
    labels = [_label(cell) for cell in header]

    def find(options: set[str]) -> int | None:
        return next((i for i, label in enumerate(labels) if label in options), None)

    found = find(FLAG_ID_LABELS), find(RESPONSE_LABELS), find(EXPLANATION_LABELS)
    return None if found[0] is None or found[1] is None else (found[0], found[1], found[2] if found[2] is not None else -1)


def parse_rows(rows: list[list[object]]) -> list[ParsedRow]:
    """Rows of a sheet or CSV: find the header (first row naming Flag ID and Response), then read."""
    for index, header in enumerate(rows):
        columns = _columns(header)
        if columns is None:
            continue
        flag_col, response_col, explanation_col = columns
        parsed = []
        for offset, values in enumerate(rows[index + 1:], start=index + 2):
            def cell(col: int, values: list[object] = values) -> object:
                return values[col] if 0 <= col < len(values) else None
            row = _row(offset, cell(flag_col), cell(response_col), cell(explanation_col))
            if row is not None:
                parsed.append(row)
        return parsed
    raise ValueError("no header row naming 'Flag ID' and 'Response'")


def read_workbook_rows(path: Path) -> list[list[object]]:
    """Rows of the sheet that carries the flag header (the report's 'Flags' sheet, else any)."""
    import openpyxl

    if path.stat().st_size > MAX_WORKBOOK_BYTES:
        raise ValueError("workbook over 20 MB")
    # from the bytes: archived files have no extension, which openpyxl's path check refuses
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    try:
        sheets = sorted(book.worksheets, key=lambda s: _label(s.title) != "flags")
        for sheet in sheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            if any(_columns(row) for row in rows):
                return rows
    finally:
        book.close()
    raise ValueError("no sheet with a header row naming 'Flag ID' and 'Response'")


def read_csv_rows(path: Path) -> list[list[object]]:
    text = path.read_bytes().decode("utf-8-sig", errors="strict")
    return [list(row) for row in csv.reader(io.StringIO(text))]


def parse_file(path: Path, name: str) -> list[ParsedRow]:
    """Parse a returned report; a file that cannot be read is one row with the problem."""
    try:
        if name.lower().endswith(".csv"):
            return parse_rows(read_csv_rows(path))
        return parse_rows(read_workbook_rows(path))
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        return [ParsedRow(0, None, None, None, None, f"file could not be read: {error}")]
    except Exception as error:  # openpyxl raises many types on damaged files; never stop the run
        return [ParsedRow(0, None, None, None, None, f"file could not be read: {type(error).__name__}: {error}")]


def ingest_flag_responses(archive: Archive, landing: Path, raw_dir: Path, cycle_year: int) -> int:
    """Archive the cycle's returned reports and read the new ones (by content) into the raw layer."""
    files = [f for f in discover_cycle_files(landing, cycle_year, "flag_responses")
             if f.path.suffix.lower() in (".xlsx", ".csv")]
    receipts = archive.receive(files)
    known = rawstore.read(raw_dir, "flag_responses", f"where cycle_year = {int(cycle_year)}")
    seen = set(known["file_hash"].to_list())
    rows: list[dict[str, object]] = []
    for receipt in sorted(receipts, key=lambda r: r.archive_seq):
        if receipt.file_hash in seen:
            continue
        seen.add(receipt.file_hash)
        for parsed in parse_file(archive.path_of(receipt.file_hash), receipt.file.relative):
            rows.append({
                "file_hash": receipt.file_hash, "cycle_year": cycle_year, "landing_path": receipt.file.relative,
                "archive_seq": receipt.archive_seq, "archived_at": receipt.archived_at,
                "row_number": parsed.row_number, "flag_id": parsed.flag_id, "response_raw": parsed.response_raw,
                "response": parsed.response, "explanation": parsed.explanation, "problem": parsed.problem,
            })
    if rows:
        frame = pl.DataFrame(rows, schema=rawstore.SCHEMAS["flag_responses"])
        rawstore.append(raw_dir, "flag_responses", frame, cycle_year,
                        rawstore.batch_key(str(r["file_hash"]) for r in rows))
    return len(rows)
