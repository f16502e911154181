"""Check that files a person opens cannot run formulas or script planted in the input.

`check_outputs(folder, planted_markers)` opens every .xlsx, .csv and .html below `folder` and
returns the problems found: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return (unless the whole cell is a number such as `-3.5`); an xlsx cell stored as a formula; an
HTML file containing any planted marker (such as `<script>alert('ldis')</script>`) unescaped.
Apply it to every reports directory a test produces: `assert check_outputs(reports, MARKERS) == []`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how xlsx stores control characters (openpyxl keeps it)
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Finding:
    path: Path
    where: str
    value: str


@dataclass
class Checked:
    spreadsheets: int = 0
    html: int = 0
    cells: int = 0


def dangerous(value: object) -> bool:
    return isinstance(value, str) and value.startswith(DANGEROUS_START) and not NUMBER.match(value.strip())


def _check_xlsx(path: Path, checked: Checked) -> list[Finding]:
    findings = []
    book = openpyxl.load_workbook(path, read_only=False, data_only=False)  # formulas stay formulas
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                checked.cells += 1
                value = cell.value
                if isinstance(value, str):  # Excel shows '_x000D_' as a carriage return
                    value = XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
                if cell.data_type == "f" or dangerous(value):
                    findings.append(Finding(path, f"{sheet.title}!{cell.coordinate}", str(cell.value)))
    return findings


def _check_csv(path: Path, checked: Checked) -> list[Finding]:
    findings = []
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        for line_number, row in enumerate(csv.reader(handle), start=1):
            for column, value in enumerate(row, start=1):
                checked.cells += 1
                if dangerous(value):
                    findings.append(Finding(path, f"row {line_number} column {column}", value))
    return findings


def _check_html(path: Path, markers: list[str]) -> list[Finding]:
    content = path.read_text(encoding="utf-8", errors="replace")
    return [Finding(path, "html", marker) for marker in markers if marker in content]


def check_outputs(folder: Path, planted_markers: list[str], checked: Checked | None = None) -> list[Finding]:
    """Every unsafe value in the spreadsheets and HTML pages below `folder`."""
    checked = checked if checked is not None else Checked()
    findings: list[Finding] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            checked.spreadsheets += 1
            findings += _check_xlsx(path, checked)
        elif suffix == ".csv":
            checked.spreadsheets += 1
            findings += _check_csv(path, checked)
        elif suffix in (".html", ".htm"):
            checked.html += 1
            findings += _check_html(path, planted_markers)
    return findings
