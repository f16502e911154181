"""Flag reports: one Excel workbook (to fill in and return) and one HTML page per trust and cycle.

Read from the published snapshot (what the run published), never from the working database. A
trust's report holds only its own flags: its own values unrounded, the expected value or the
anonymous peer range (R06 is only raised with at least 8 peers besides the trust, so a peer figure
never describes fewer than 8 other trusts), the rule's message, and the `Response` (drop-down) and
`Explanation` columns for the trust to fill in. Every cell goes through `safe_cell`; the HTML is
autoescaped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import xlsxwriter
from jinja2 import Environment

from orchestration.lib.flag_responses import RESPONSES
from orchestration.lib.spreadsheet_safety import safe_cell, safe_row

SHEET = "Flags"
COLUMNS = [
    ("flag_id", "Flag ID", 18), ("rule_id", "Rule", 7), ("severity", "Severity", 10), ("item_id", "Item", 8),
    ("submitted_value", "Your value", 22), ("expected", "Expected or similar trusts", 48),
    ("message", "What we found", 60), ("status", "Status", 22),
]
FILL_IN = [("Response", 16), ("Explanation", 50)]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
STATUS_ORDER = {"open": 0, "confirmed_by_trust": 1, "resolved_by_resubmission": 2}
STATUS_TEXT = {"open": "Open", "confirmed_by_trust": "Confirmed by trust",
               "resolved_by_resubmission": "Resolved by resubmission"}


@dataclass(frozen=True)
class TrustFlags:
    cycle_year: int
    org_code: str
    flags: list[dict[str, object]]


def report_paths(reports_dir: Path, cycle_year: int, org_code: str) -> tuple[Path, Path]:
    folder = reports_dir / "flag_reports" / str(cycle_year)
    return folder / f"{org_code}.xlsx", folder / f"{org_code}.html"


def read_trust_flags(warehouse: Path, cycle_years: list[int] | None = None,
                     org_codes: list[str] | None = None) -> list[TrustFlags]:
    """Flags of the snapshot grouped by (cycle, trust); optionally only some cycles or trusts."""
    where, params = ["org_code is not null"], []
    if cycle_years is not None:
        where.append(f"cycle_year in ({', '.join('?' * len(cycle_years))})" if cycle_years else "false")
        params += list(cycle_years)
    if org_codes is not None:
        where.append(f"org_code in ({', '.join('?' * len(org_codes))})" if org_codes else "false")
        params += list(org_codes)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(
            "select cycle_year, org_code, flag_id, rule_id, severity, item_id, status, submitted_value, "
            f"expected, message from marts.validation_flags where {' and '.join(where)} "
            "order by cycle_year, org_code, flag_id", params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    grouped: dict[tuple[int, str], list[dict[str, object]]] = {}
    for row in rows:
        grouped.setdefault((int(row["cycle_year"]), str(row["org_code"])), []).append(row)
    return [TrustFlags(cycle, org, sorted(flags, key=_order)) for (cycle, org), flags in sorted(grouped.items())]


def _order(flag: dict[str, object]) -> tuple:
    return (STATUS_ORDER.get(str(flag["status"]), 9), SEVERITY_ORDER.get(str(flag["severity"]), 9),
            str(flag["rule_id"]), str(flag["item_id"] or ""), str(flag["flag_id"]))


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_workbook(report: TrustFlags, path: Path) -> Path:
    """The workbook the trust fills in: one row per flag, Response as a drop-down."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    book = xlsxwriter.Workbook(str(temporary), {"strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#005EB8", "font_color": "#FFFFFF", "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    fill = book.add_format({"bg_color": "#FFF9C4", "text_wrap": True, "valign": "top", "locked": False})
    sheet = book.add_worksheet(SHEET)
    sheet.write(0, 0, safe_cell(f"LDIS flag report: {report.org_code}, collection {report.cycle_year}"), bold)
    sheet.write(1, 0, safe_cell(
        "For each open flag choose a Response (Confirmed = the value is correct; Will resubmit = you will "
        "send a corrected return) and add an Explanation, then return this file. Errors cannot be "
        "confirmed: only a corrected return clears them."))
    header_row = 3
    labels = [label for _, label, _ in COLUMNS] + [label for label, _ in FILL_IN]
    sheet.write_row(header_row, 0, safe_row(labels), header)
    for column, (_, _, width) in enumerate(COLUMNS):
        sheet.set_column(column, column, width, wrap)
    for offset, (_, width) in enumerate(FILL_IN):
        sheet.set_column(len(COLUMNS) + offset, len(COLUMNS) + offset, width)
    for index, flag in enumerate(report.flags, start=header_row + 1):
        values = [STATUS_TEXT.get(str(flag[key]), flag[key]) if key == "status" else flag[key]
                  for key, _, _ in COLUMNS]
        for column, value in enumerate(values):
            # text, never a number or a formula: the trust's value exactly as submitted
            sheet.write_string(index, column, str(safe_cell("" if value is None else str(value))), wrap)
        sheet.write_blank(index, len(COLUMNS), None, fill)
        sheet.write_blank(index, len(COLUMNS) + 1, None, fill)
    if report.flags:
        first, last = header_row + 1, header_row + len(report.flags)
        sheet.data_validation(first, len(COLUMNS), last, len(COLUMNS), {
            "validate": "list", "source": list(RESPONSES.values()),
            "error_title": "Response", "error_message": "Choose Confirmed or Will resubmit.",
        })
    sheet.freeze_panes(header_row + 1, 1)
    sheet.autofilter(header_row, 0, header_row + max(len(report.flags), 1), len(labels) - 1)
    book.close()
    os.replace(temporary, path)
    return path


HTML = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>LDIS flag report {{ org_code }} {{ cycle_year }}</title>
<style>
body { font-family: Arial, sans-serif; margin: 24px; color: #212b32; }
h1 { color: #005eb8; font-size: 24px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { background: #005eb8; color: #fff; text-align: left; padding: 6px; }
td { border-bottom: 1px solid #d8dde0; padding: 6px; vertical-align: top; }
tr.error td.sev { color: #d5281b; font-weight: bold; }
tr.warning td.sev { color: #ae6700; font-weight: bold; }
.summary span { display: inline-block; margin-right: 18px; padding: 4px 8px; background: #f0f4f5; }
</style></head><body>
<h1>Flag report: {{ org_code }}, collection {{ cycle_year }}</h1>
<p class="summary">{% for label, count in summary %}<span>{{ label }}: <b>{{ count }}</b></span>{% endfor %}</p>
<p>To answer, fill in the Response and Explanation columns of the Excel version of this report and
return it. Errors cannot be confirmed: only a corrected return clears them.</p>
{% if flags %}
<table><thead><tr>{% for label in labels %}<th>{{ label }}</th>{% endfor %}</tr></thead><tbody>
{% for flag in flags %}<tr class="{{ flag.severity }}">
<td><code>{{ flag.flag_id }}</code></td><td>{{ flag.rule_id }}</td><td class="sev">{{ flag.severity }}</td>
<td>{{ flag.item_id or "" }}</td><td>{{ flag.submitted_value or "" }}</td><td>{{ flag.expected or "" }}</td>
<td>{{ flag.message }}</td><td>{{ flag.status_text }}</td></tr>
{% endfor %}</tbody></table>
{% else %}<p>No flags.</p>{% endif %}
</body></html>
""")


def write_html(report: TrustFlags, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = [{**flag, "status_text": STATUS_TEXT.get(str(flag["status"]), flag["status"])} for flag in report.flags]
    summary = [(STATUS_TEXT[s], sum(1 for f in report.flags if f["status"] == s)) for s in STATUS_TEXT]
    text = HTML.render(org_code=report.org_code, cycle_year=report.cycle_year, flags=flags, summary=summary,
                       labels=[label for _, label, _ in COLUMNS])
    temporary = _temporary(path)
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


def fingerprint(report: TrustFlags) -> str:
    """What a report shows; an unchanged fingerprint means the files on disk are already right."""
    text = json.dumps([report.cycle_year, report.org_code, report.flags], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def write_reports(warehouse: Path, reports_dir: Path, cycle_years: list[int] | None = None,
                  org_codes: list[str] | None = None) -> list[Path]:
    """Write the flag reports of the snapshot (all, or those cycles / trusts) whose flags changed
    since they were last written (a trust's resubmission rewrites its report only); returns the
    paths written."""
    index_path = reports_dir / "flag_reports" / "fingerprints.json"
    index: dict[str, str] = json.loads(index_path.read_text()) if index_path.exists() else {}
    written: list[Path] = []
    for report in read_trust_flags(warehouse, cycle_years, org_codes):
        workbook, page = report_paths(reports_dir, report.cycle_year, report.org_code)
        key, current = f"{report.cycle_year}/{report.org_code}", fingerprint(report)
        if index.get(key) == current and workbook.exists() and page.exists():
            continue
        written += [write_workbook(report, workbook), write_html(report, page)]
        index[key] = current
    if written:
        temporary = _temporary(index_path)
        temporary.write_text(json.dumps(index, indent=1, sort_keys=True))
        os.replace(temporary, index_path)
    return written


def write_annex(warehouse: Path, reports_dir: Path) -> list[Path]:
    """The data-quality annex of each published cycle, as a CSV in the reports directory."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("select * from marts.data_quality_annex order by all")
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    folder = reports_dir / "data_quality_annex"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for cycle in sorted({row[0] for row in rows}):
        path = folder / f"data_quality_annex_{cycle}.csv"
        temporary = _temporary(path)
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows(safe_row(list(row)) for row in rows if row[0] == cycle)
        os.replace(temporary, path)
        written.append(path)
    return written
