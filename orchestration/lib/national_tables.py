"""The national tables as files: tables 1-4 of the report (with the year-on-year comparison the
report gives only in words) and the participation table, per published cycle, as one Excel
workbook and one CSV per table.

Built only from the published snapshot. Every cell goes through `spreadsheet_safety.safe_cell`;
every figure through the disclosure function: national figures unrounded (policy NATIONAL), the
participation table's peer-group rows (below national level) with the sub-national rule.
"""

from __future__ import annotations

import csv
import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from orchestration.lib import rawstore, report_data
from orchestration.lib.published_figures import national_count, national_value, sub_national_count
from orchestration.lib.spreadsheet_safety import safe_row

COLUMN_LABELS = {"good_performance": "Performance against indicators of a good service",
                 "area_for_improvement": "Indicators of areas for improvement"}
TABLE_HEADER = [
    "Improvement measure", "Report column", "Order in measure", "Indicator", "Statement", "Source",
    "Population", "Unit", "Value", "Numerator", "Denominator", "Figure status", "Previous cycle",
    "Previous value", "Change", "Change 95% lower", "Change 95% upper", "Direction", "Comparison",
    "Higher is better", "Printed in year-3 report", "Year-3 report value",
]
PARTICIPATION_HEADER = [
    "Provider type", "Organisation type", "Registered trusts", "Completed returns",
    "Trusts with staff responses", "Staff responses", "Trusts with service-user responses",
    "Service-user responses",
]
PARTICIPATION_COUNTS = [
    "registered_trusts", "completed_returns", "trusts_with_staff_responses", "staff_responses",
    "trusts_with_service_user_responses", "service_user_responses",
]


def table_rows(con: Any, standard: int, cycle_year: int) -> list[list[Any]]:
    """Table `standard` for the cycle as published cells (header first)."""
    out: list[list[Any]] = [TABLE_HEADER]
    for row in report_data.standard_rows(con, standard, cycle_year):
        out.append(safe_row([
            row["measure"], COLUMN_LABELS[row["table_column"]], row["order_in_measure"], row["indicator_id"],
            row["statement"], row["source"], row["population"], row["unit"],
            national_value(row["value"]), national_count(row["numerator"]), national_count(row["denominator"]),
            row["figure_status"], row["previous_cycle_year"], national_value(row["previous_value"]),
            row["change"], row["change_lower"], row["change_upper"], row["direction"], row["comparison"],
            "yes" if row["higher_is_better"] else "no", "yes" if row["printed_in_report"] else "no",
            row["report_2020_value"],
        ]))
    return out


def participation_table(con: Any, cycle_year: int) -> list[list[Any]]:
    """The participation table: peer-group rows are below national level (sub-national rule);
    provider-type subtotals and the total are national."""
    out: list[list[Any]] = [PARTICIPATION_HEADER]
    for row in report_data.participation_rows(con, cycle_year):
        national = row["org_type"] == "all"
        disclose = national_count if national else sub_national_count
        out.append(safe_row([row["provider_type"], row["org_type"],
                             *[disclose(row[name]) for name in PARTICIPATION_COUNTS]]))
    return out


def build_all(warehouse: Path, reports_dir: Path) -> list[Path]:
    """Every published cycle's workbook and CSVs; the national folder is replaced whole."""
    target = reports_dir / "national"
    staging = reports_dir / f".national.{os.getpid()}.building"
    shutil.rmtree(staging, ignore_errors=True)
    written: list[Path] = []
    with report_data.open_snapshot(warehouse) as con:
        for cycle_year in report_data.published_cycles(con):
            sheets = {f"Table {standard}": table_rows(con, standard, cycle_year)
                      for standard in report_data.STANDARD_MARTS}
            sheets["Participation"] = participation_table(con, cycle_year)
            folder = staging / str(cycle_year)
            folder.mkdir(parents=True)
            write_workbook(folder / f"national_tables_{cycle_year}.xlsx", sheets, cycle_year)
            for name, cells in sheets.items():
                write_csv(folder / f"{name.lower().replace(' ', '_')}_{cycle_year}.csv", cells)
            written += [target / str(cycle_year) / path.name for path in sorted(folder.iterdir())]
    staging.mkdir(parents=True, exist_ok=True)
    rawstore.replace_directory(target, staging)
    return written


def write_csv(path: Path, cells: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in cells:
            writer.writerow(["" if value is None else value for value in row])


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]], cycle_year: int) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#f0f4f5", "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for name, cells in sheets.items():
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(cells):
            for c, value in enumerate(row):
                if r == 0:
                    sheet.write_string(r, c, str(value), bold)
                elif value is None:
                    sheet.write_blank(r, c, None)
                elif isinstance(value, bool):
                    sheet.write_string(r, c, "yes" if value else "no")
                elif isinstance(value, int | float | Decimal):
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, str(value), wrap)
        sheet.set_column(0, len(cells[0]) - 1, 14)
        if name.startswith("Table"):
            sheet.set_column(4, 4, 60)
            sheet.set_column(1, 1, 28)
    notes = workbook.add_worksheet("Notes")
    notes.set_column(0, 0, 120)
    for r, line in enumerate([
        f"LDIS national tables, cycle {cycle_year} (from the published warehouse snapshot).",
        "Tables 1-4 follow the year-3 report's arrangement: each improvement measure's indicators of a good "
        "service, then its indicators of areas for improvement.",
        "Change: this cycle's unrounded figure minus the previous cycle's; for shares a 95% interval by "
        "Newcombe's hybrid score method; pooled rates and averages are not assessed.",
        "National figures are unrounded; the participation table's peer-group rows follow the NHS "
        "secondary-care rule (1-7 shown as *, other counts rounded to the nearest 5).",
    ]):
        notes.write_string(r, 0, line)
    workbook.close()
