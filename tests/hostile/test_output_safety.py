"""The output-safety checker catches formulas and planted script, and `safe_cell` output passes it."""

from __future__ import annotations

import csv
import html
from pathlib import Path

import xlsxwriter

from orchestration.lib.spreadsheet_safety import safe_cell, safe_row
from tests.hostile.corpus import INJECTIONS
from tests.output_safety import Checked, check_outputs, dangerous

VALUES: list[object] = [*INJECTIONS.values(), "\tnote", "\r=1", -3.5, 12, "-3.5", "RXA", "Yes", None]


def write_xlsx(path: Path, values: list[object], *, safe: bool) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Flags")
    for row, value in enumerate(values):
        cell = safe_cell(value) if safe else value
        if isinstance(cell, str):
            sheet.write_string(row, 0, cell)  # write() would turn '=...' into a formula
        elif cell is not None:
            sheet.write_number(row, 0, cell)
    book.close()


def write_csv(path: Path, values: list[object], *, safe: bool) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        for value in values:
            writer.writerow(safe_row([value]) if safe else [value])


def test_numbers_are_not_dangerous_but_formulas_are() -> None:
    assert not dangerous("-3.5") and not dangerous("+12") and not dangerous("RXA")
    assert all(dangerous(v) for v in INJECTIONS.values() if not v.startswith("<"))


def test_values_through_safe_cell_pass(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "flags.xlsx", VALUES, safe=True)
    write_csv(tmp_path / "flags.csv", VALUES, safe=True)
    checked = Checked()
    assert check_outputs(tmp_path, [], checked) == []
    assert checked.spreadsheets == 2 and checked.cells >= 2 * (len(VALUES) - 1)


def test_the_checker_fails_unneutralised_output(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "flags.xlsx", VALUES, safe=False)
    write_csv(tmp_path / "flags.csv", VALUES, safe=False)
    found = check_outputs(tmp_path, [])
    dangerous_values = [v for v in VALUES if dangerous(v)]
    assert len(found) == 2 * len(dangerous_values)


def test_a_formula_cell_is_caught_even_if_its_text_is_harmless(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    book.add_worksheet().write_formula(0, 0, "SUM(1,2)")
    book.close()
    assert [f.where for f in check_outputs(tmp_path, [])] == ["Sheet1!A1"]


def test_html_must_escape_what_it_did_not_write(tmp_path: Path) -> None:
    marker = INJECTIONS["script"]
    (tmp_path / "escaped.html").write_text(f"<html><body><td>{html.escape(marker)}</td></body></html>")
    assert check_outputs(tmp_path, [marker]) == []
    (tmp_path / "raw.html").write_text(f"<html><body><td>{marker}</td></body></html>")
    assert [f.path.name for f in check_outputs(tmp_path, [marker])] == ["raw.html"]
