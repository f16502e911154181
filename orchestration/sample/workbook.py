"""Render an organisational-return workbook (the contract's template) to bytes with xlsxwriter.

Output is byte-deterministic: the zip entries carry xlsxwriter's fixed 1980 timestamp and the
document properties (created date, author, company) are set from the submission, never the clock.
Also here: the file-level faults that are not workbooks at all (encrypted, CSV, empty).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

import xlsxwriter

TEMPLATE_COLUMNS = ("Item ID", "Section", "Question", "Response", "Comment")
COVER_LABELS = (
    "Organisation code",
    "Organisation name",
    "Collection year",
    "Submitted by",
    "Submitted at",
    "Template version",
)
CellValue = str | int | float | None


@dataclass
class ReturnRow:
    item_id: str
    section: str
    question: str
    response: CellValue  # None: no cell; str: text cell; int/float: numeric cell
    comment: str | None = None

    def cells(self) -> tuple[CellValue, ...]:
        return (self.item_id, self.section, self.question, self.response, self.comment)


@dataclass
class WorkbookLayout:
    cover: list[tuple[str, CellValue]]  # (label as written, value) in sheet order
    rows: list[ReturnRow | None]  # None: a blank row
    cover_sheet: str = "Cover"
    return_sheet: str = "Return"
    header: tuple[str, ...] = TEMPLATE_COLUMNS
    dropped_column: int | None = None  # index into TEMPLATE_COLUMNS of a deleted column
    blank_rows_before_header: int = 0
    formatted_blanks: bool = False  # blank rows keep cell formatting (rows exist but are empty)
    created: dt.datetime = field(default_factory=lambda: dt.datetime(2020, 11, 23))
    author: str = ""
    company: str = ""


def _keep(layout: WorkbookLayout, values: tuple[CellValue, ...]) -> list[CellValue]:
    return [value for index, value in enumerate(values) if index != layout.dropped_column]


def _write(sheet: xlsxwriter.worksheet.Worksheet, row: int, col: int, value: CellValue, fmt=None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        raise TypeError("booleans are not template values")
    if isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, value, fmt)


def _write_cover(book: xlsxwriter.Workbook, layout: WorkbookLayout) -> None:
    sheet = book.add_worksheet(layout.cover_sheet)
    bold = book.add_format({"bold": True})
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 48)
    for index, (label, value) in enumerate(layout.cover):
        sheet.write_string(index, 0, label, bold)
        _write(sheet, index, 1, value)


def _write_return(book: xlsxwriter.Workbook, layout: WorkbookLayout) -> None:
    sheet = book.add_worksheet(layout.return_sheet)
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    plain = book.add_format({"valign": "top"})
    widths = _keep(layout, (10, 34, 80, 14, 40))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width, wrap if width == 80 else None)
    row = layout.blank_rows_before_header
    for col, label in enumerate(_keep(layout, layout.header)):
        _write(sheet, row, col, label, head)
    sheet.freeze_panes(row + 1, 0)
    for entry in layout.rows:
        row += 1
        if entry is None:
            if layout.formatted_blanks:
                for col in range(len(widths)):
                    sheet.write_blank(row, col, None, plain)
            continue
        for col, value in enumerate(_keep(layout, entry.cells())):
            _write(sheet, row, col, value)


def render_workbook(layout: WorkbookLayout) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties(
        {
            "title": "LD improvement standards - organisational return",
            "author": layout.author,
            "company": layout.company,
            "created": layout.created,
        }
    )
    _write_cover(book, layout)
    _write_return(book, layout)
    book.close()
    return buffer.getvalue()


def render_csv(layout: WorkbookLayout) -> bytes:
    """What a trust gets when it 'saves as CSV' and renames the file .xlsx: only the Return sheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_keep(layout, layout.header))
    for entry in layout.rows:
        if entry is not None:
            writer.writerow(["" if value is None else value for value in _keep(layout, entry.cells())])
    return out.getvalue().encode("utf-8")


class _FixedClock(dt.datetime):
    moment = dt.datetime(2021, 1, 1)

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return cls.moment


@contextmanager
def _seeded_msoffcrypto(rng: random.Random, moment: dt.datetime) -> Iterator[None]:
    """msoffcrypto draws salts/keys from `secrets` and stamps the OLE directory with now():
    pin both so the encrypted bytes depend only on the seed."""
    from msoffcrypto.method import ecma376_agile
    from msoffcrypto.method.container import ecma376_encrypted

    clock = type("Clock", (_FixedClock,), {"moment": moment})
    with (
        mock.patch.object(ecma376_agile, "_random_buffer", lambda size: rng.randbytes(size)),
        mock.patch.object(ecma376_encrypted, "datetime", clock),
    ):
        yield


def encrypt_workbook(data: bytes, password: str, rng: random.Random, moment: dt.datetime) -> bytes:
    """A real password-protected OOXML file (ECMA-376 agile encryption in an OLE container)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with _seeded_msoffcrypto(rng, moment):
        OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()
