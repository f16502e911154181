"""The workbook reader: the mess parses, genuine faults get a precise F01/F02 detail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from orchestration.lib.workbook import read_workbook
from tests.builders import HEADER, write_workbook


def test_messy_workbook_parses_with_excel_rows(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "r.xlsx", {"S1.01": " yes ", "A.01": 1234, "A.02": "1,234"},
        sheet_names=(" cover ", "RETURN"), header=[" item id ", "SECTION", "Question", "response ", "Comment"],
        blank_rows_before_header=3,
    )
    facts = read_workbook(path)
    assert facts.parse_status == "parsed"
    assert facts.cover["org_code"] == "RXA"
    rows = {r.item_id: r for r in facts.responses}
    assert rows["S1.01"].response_raw == "yes" and rows["S1.01"].row_number == 5
    assert rows["A.01"].response_raw == "1234"
    assert rows["A.02"].response_raw == "1,234"


def test_renamed_sheet_is_bad_template(tmp_path: Path) -> None:
    facts = read_workbook(write_workbook(tmp_path / "r.xlsx", {"S1.01": "Yes"}, sheet_names=("Cover", "Data")))
    assert facts.parse_status == "bad_template"
    assert "sheet 'Return' is missing" in facts.parse_detail
    assert "'Data'" in facts.parse_detail
    assert facts.cover["org_code"] == "RXA"  # the Cover still names the trust


def test_missing_column_is_bad_template(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Response"]
    facts = read_workbook(write_workbook(tmp_path / "r.xlsx", {"S1.01": "Yes"}, header=header))
    assert facts.parse_status == "bad_template"
    assert facts.parse_detail.startswith("column 'Response' is missing")


def test_missing_cover_field_is_bad_template(tmp_path: Path) -> None:
    facts = read_workbook(write_workbook(tmp_path / "r.xlsx", {"S1.01": "Yes"}, drop_cover=("Submitted at",)))
    assert facts.parse_status == "bad_template"
    assert "'Submitted at' is missing" in facts.parse_detail


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"", "empty"),
        (b"Item ID,Response\nS1.01,Yes\n", "text (such as CSV)"),
        (b"<html><body><table></table></body></html>", "HTML"),
        (b"PK\x03\x04truncated", "damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    ],
)
def test_not_a_workbook_is_unreadable(tmp_path: Path, content: bytes, detail: str) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(content)
    facts = read_workbook(path)
    assert facts.parse_status == "unreadable"
    assert detail in facts.parse_detail


def test_encrypted_workbook_is_unreadable(tmp_path: Path) -> None:
    plain = write_workbook(tmp_path / "plain.xlsx", {"S1.01": "Yes"})
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(plain.read_bytes())).encrypt("secret", encrypted)
    path = tmp_path / "locked.xlsx"
    path.write_bytes(encrypted.getvalue())
    facts = read_workbook(path)
    assert facts.parse_status == "unreadable"
    assert "password-protected" in facts.parse_detail


def test_oversized_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    with path.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    facts = read_workbook(path)
    assert facts.parse_status == "unreadable"
    assert "over the 20 MB limit" in facts.parse_detail
