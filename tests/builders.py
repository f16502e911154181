"""Craft organisational-return workbooks for tests: the template's layout, with any fault."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import xlsxwriter

from orchestration.lib.catalogue import items

COVER = {
    "Organisation code": "RXA",
    "Organisation name": "Test Trust",
    "Collection year": "2020",
    "Submitted by": "A. Tester",
    "Submitted at": "2021-01-15T10:00:00",
    "Template version": "LDIS-2020",
}
HEADER = ["Item ID", "Section", "Question", "Response", "Comment"]


def default_answers(cycle_year: int, provider_type: str, org_type: str) -> dict[str, str]:
    """A clean, valid answer for every item that applies to such a trust."""
    answers: dict[str, str] = {}
    for item in items().values():
        if not item.applies(cycle_year, provider_type, org_type):
            continue
        answers[item.item_id] = {"yes_no": "Yes", "count": "100", "wte": "2.5", "hours": "10.5"}[item.response_type]
    answers.update({"A.01": "10000", "A.02": "30", "A.04": "500", "A.05": "20", "A.06": "10", "A.07": "1",
                    "A.08": "300", "A.09": "12", "A.10": "80", "A.11": "9"})
    if "RI.03" in answers:
        answers.update({"RI.03": "40", "RI.04": "5"})
    return {k: v for k, v in answers.items() if k in {i.item_id for i in items().values()
                                                       if i.applies(cycle_year, provider_type, org_type)}}


def write_workbook(
    path: Path,
    answers: Mapping[str, object | None],
    *,
    cover: Mapping[str, object] | None = None,
    drop_cover: tuple[str, ...] = (),
    sheet_names: tuple[str, str] = ("Cover", "Return"),
    header: list[str] | None = None,
    extra_rows: list[list[object]] | None = None,
    blank_rows_before_header: int = 0,
) -> Path:
    """Write a workbook; `answers` maps item id -> response (None writes a blank cell)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    cover_sheet = book.add_worksheet(sheet_names[0])
    fields = {**COVER, **(cover or {})}
    row = 0
    for label, value in fields.items():
        if label in drop_cover:
            continue
        cover_sheet.write(row, 0, label)
        _write_cell(cover_sheet, row, 1, value)
        row += 1
    sheet = book.add_worksheet(sheet_names[1])
    columns = header or HEADER
    start = blank_rows_before_header
    sheet.write_row(start, 0, columns)
    catalogue = items()
    rows = [[item_id, catalogue[item_id].section if item_id in catalogue else "", "question", value, None]
            for item_id, value in answers.items()] + (extra_rows or [])
    for offset, values in enumerate(rows, start=start + 1):
        record = dict(zip(HEADER, values, strict=False))
        canonical = {" ".join(h.split()).casefold(): h for h in HEADER}
        for column, name in enumerate(columns):
            value = record.get(canonical.get(" ".join(name.split()).casefold(), name))
            if value is not None:
                _write_cell(sheet, offset, column, value)
    book.close()
    return path


def _write_cell(sheet: xlsxwriter.worksheet.Worksheet, row: int, column: int, value: object) -> None:
    # text stays text: write() would store '=...' as a formula, but a trust's cell holds what it typed
    if isinstance(value, str):
        sheet.write_string(row, column, value)
    else:
        sheet.write(row, column, value)
