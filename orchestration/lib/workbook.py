"""Read an organisational-return workbook into facts: Cover fields and Return rows.

This module only reads. It never decides whether a trust is registered or an answer valid (that is
validation's job); it says whether the bytes are a readable workbook in the template's layout
(`parsed`), not a workbook at all (`unreadable`, rule F01), or a workbook off the template
(`bad_template`, rule F02), with a detail a trust can act on.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import fastexcel

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # a zip bomb expands far past any real return
MAX_CELLS = 2_000_000

COVER_FIELDS = {
    "organisation code": "org_code",
    "organisation name": "org_name",
    "collection year": "collection_year_raw",
    "submitted by": "submitted_by",
    "submitted at": "submitted_at_raw",
    "template version": "template_version",
}
RETURN_COLUMNS = ("item id", "section", "question", "response", "comment")


@dataclass
class ResponseRow:
    row_number: int  # the Excel row (1-based), for messages a trust can find
    item_id: str
    response_raw: str | None
    comment: str | None


@dataclass
class WorkbookFacts:
    parse_status: str  # parsed | unreadable | bad_template
    parse_detail: str | None = None
    cover: dict[str, str | None] = field(default_factory=dict)
    responses: list[ResponseRow] = field(default_factory=list)


def _key(text: object) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def _clean(text: object) -> str | None:
    if text is None:
        return None
    value = str(text).strip()
    return value or None


def sniff_not_xlsx(data: bytes) -> str | None:
    """Why these bytes are not an .xlsx workbook, or None if they look like one."""
    if not data:
        return "the file is empty (0 bytes)"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _describe_ole(data)
    if data[:4] != b"PK\x03\x04":
        head = data[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<table" in head:
            return "the file is a web page (HTML) saved with an .xlsx name, not a workbook"
        if head.startswith(b"%pdf"):
            return "the file is a PDF, not a workbook"
        return "the file is text (such as CSV) saved with an .xlsx name, not a workbook"
    return None


def _describe_ole(data: bytes) -> str:
    try:
        import msoffcrypto

        if msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted():
            return "the workbook is password-protected (encrypted); please send it without a password"
    except Exception:  # an OLE file msoffcrypto cannot classify is still not an .xlsx
        pass
    return "the file is an old-format Excel 97-2003 (.xls) workbook, not .xlsx"


def _check_zip(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                return "the file is an OpenDocument spreadsheet (.ods), not .xlsx"
            if "xl/workbook.xml" not in names:
                return "the file is a zip archive but not an Excel workbook"
            expanded = sum(info.file_size for info in archive.infolist())
            if expanded > MAX_UNCOMPRESSED_BYTES:
                return f"the workbook expands to {expanded // (1024 * 1024)} MB, over the limit"
    except zipfile.BadZipFile:
        return "the workbook is damaged (the zip container is truncated or corrupt)"
    return None


def read_workbook(path: Path) -> WorkbookFacts:
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        return WorkbookFacts("unreadable", f"the workbook is {size / 1048576:.1f} MB, over the 20 MB limit")
    data = path.read_bytes()
    problem = sniff_not_xlsx(data) or _check_zip(data)
    if problem:
        return WorkbookFacts("unreadable", problem)
    problem = sheet_extent_problem(data)
    if problem:
        return WorkbookFacts("unreadable", problem)
    try:
        reader = fastexcel.read_excel(data)
        sheets = {_key(name): name for name in reader.sheet_names}
    except Exception as error:  # calamine's errors are varied; all mean "cannot open"
        return WorkbookFacts("unreadable", f"the workbook cannot be opened ({type(error).__name__})")
    try:
        cover_rows = _sheet_rows(reader, sheets["cover"]) if "cover" in sheets else None
        return_rows = _sheet_rows(reader, sheets["return"]) if "return" in sheets else None
    except _TooLarge as error:
        return WorkbookFacts("unreadable", str(error))
    except Exception as error:
        return WorkbookFacts("unreadable", f"a sheet cannot be read ({type(error).__name__})")
    # The Cover is read whenever it is there, so a flag on a faulty file can still name its trust.
    cover, cover_problem = _read_cover(cover_rows) if cover_rows is not None else ({}, None)
    missing = [name for name in ("cover", "return") if name not in sheets]
    if missing:
        found = ", ".join(repr(name) for name in reader.sheet_names)
        wanted = " and ".join(f"'{name.title()}'" for name in missing)
        return WorkbookFacts("bad_template", f"sheet {wanted} is missing (sheets found: {found})", cover)
    if cover_problem:
        return WorkbookFacts("bad_template", cover_problem, cover)
    responses, return_problem = _read_return(return_rows or [])
    if return_problem:
        return WorkbookFacts("bad_template", return_problem, cover)
    return WorkbookFacts("parsed", None, cover, responses)


# a cell reference attribute (r="XFD1048576"); row tags carry digits only, so they do not match
CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
ROW_TAG = re.compile(rb"<(?:\w+:)?row\b")
SCAN_CHUNK = 4 << 20


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the zip (from workbook.xml and its relationships)."""
    namespace = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                 "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                 "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("p:Relationship", namespace)}
    parts = {}
    for sheet in workbook.findall("m:sheets/m:sheet", namespace):
        target = targets.get(sheet.get(f"{{{namespace['r']}}}id"), "").lstrip("/")
        parts[sheet.get("name", "")] = target if target.startswith("xl/") else f"xl/{target}"
    return parts


def _scan_extent(stream) -> tuple[int, int, int]:
    """(last row, last column, rows) of a worksheet part, streamed: never held whole in memory.

    Regular expressions over 4 MB chunks (C speed): about 2 s for a 95 MB sheet part here."""
    last_row = rows = 0
    letters: set[bytes] = set()
    tail = b""

    def scan(text: bytes, end: int) -> None:
        nonlocal last_row, rows
        refs = CELL_REF.findall(text, 0, end)
        if refs:
            last_row = max(last_row, max(int(digits) for _, digits in refs))
            letters.update(column for column, _ in refs)
        rows += len(ROW_TAG.findall(text, 0, end))

    while chunk := stream.read(SCAN_CHUNK):
        text = tail + chunk
        cut = max(text.rfind(b"<"), 0)  # a tag split across chunks is scanned with the next one
        scan(text, cut)
        tail = text[cut:]
        width = max((_column_number(column) for column in letters), default=1)
        if max(last_row, rows) * width > MAX_CELLS:
            break  # already over the limit: no need to read the rest
    scan(tail, len(tail))
    return last_row, max((_column_number(column) for column in letters), default=0), rows


def sheet_extent_problem(data: bytes) -> str | None:
    """Refuse a sheet whose used range is over MAX_CELLS *before* the reader allocates it.

    calamine (fastexcel) allocates the whole rectangle from A1 to the last cell: a 6 KB workbook
    with one cell in A1 and one in XFD1048576 asks for 550 GB and aborts the process. The sheet
    parts are scanned as a stream (bounded by the 200 MB expansion limit), so time is bounded too."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = _sheet_parts(archive)
            for name, part in parts.items():
                if _key(name) not in ("cover", "return") or part not in archive.namelist():
                    continue  # only the sheets LDIS loads are allocated
                with archive.open(part) as stream:
                    last_row, last_column, rows = _scan_extent(stream)
                cells = max(last_row, rows) * max(last_column, 1)
                if cells > MAX_CELLS:
                    return (f"sheet '{name}' spans {max(last_row, rows):,} rows by {last_column:,} columns "
                            f"({cells:,} cells), over the limit of {MAX_CELLS:,} cells")
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
            ValueError, NotImplementedError) as error:
        return f"the workbook's structure cannot be read ({type(error).__name__})"
    return None


class _TooLarge(Exception):
    pass


def _sheet_rows(reader: fastexcel.ExcelReader, name: str) -> list[list[str | None]]:
    """All rows of a sheet as text, row 1 first (blank leading rows are kept for row numbers)."""
    sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
    if sheet.height * max(sheet.width, 1) > MAX_CELLS:
        raise _TooLarge(f"sheet '{name}' has {sheet.height * sheet.width} cells, over the limit")
    columns = sheet.to_arrow().to_pydict()
    values = list(columns.values())
    return [[column[i] for column in values] for i in range(sheet.height)]


def _read_cover(rows: list[list[str | None]]) -> tuple[dict[str, str | None], str | None]:
    cover: dict[str, str | None] = {}
    for row in rows:
        if not row:
            continue
        label = _key(row[0])
        if label in COVER_FIELDS and COVER_FIELDS[label] not in cover:
            cover[COVER_FIELDS[label]] = _clean(row[1]) if len(row) > 1 else None
    missing = [label for label, name in COVER_FIELDS.items() if name not in cover]
    if missing:
        return cover, "Cover field " + ", ".join(f"'{m.capitalize()}'" for m in missing) + " is missing"
    return cover, None


def _read_return(rows: list[list[str | None]]) -> tuple[list[ResponseRow], str | None]:
    header_index = next((i for i, row in enumerate(rows) if any(_clean(c) for c in row)), None)
    if header_index is None:
        return [], "the Return sheet is empty"
    header = [_key(cell) for cell in rows[header_index]]
    missing = [column for column in RETURN_COLUMNS if column not in header]
    if missing:
        names = ", ".join(f"'{column.title().replace('Id', 'ID')}'" for column in missing)
        return [], f"column {names} is missing from the Return sheet header (row {header_index + 1})"
    position = {column: header.index(column) for column in RETURN_COLUMNS}
    responses: list[ResponseRow] = []
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        item_id = _clean(row[position["item id"]])
        if item_id is None:
            continue  # blank rows and notes without an item id carry no answer
        responses.append(
            ResponseRow(
                row_number=offset,
                item_id=item_id.upper(),
                response_raw=_clean(row[position["response"]]),
                comment=_clean(row[position["comment"]]),
            )
        )
    return responses, None
