"""Flag reports (lib/flag_report.py) and the returned-report parser (lib/flag_responses.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.lib import flag_report
from orchestration.lib.browser import distinct_colours, screenshot
from orchestration.lib.flag_responses import parse_file

FLAGS = [
    # cycle, org, flag_id, rule, severity, item, status, value, expected, message
    (2020, "RXA", "aaaa000000000001", "R02", "error", "S1.01", "open", "Maybe", "Yes or No",
     "Item S1.01: 'Maybe' is not a valid response (Yes or No)."),
    (2020, "RXA", "aaaa000000000002", "R06", "warning", "A.02", "open", "A.02/A.01 = 0.0258",
     "A.02/A.01 among 9 similar trusts: middle half 0.01 to 0.02", "Item A.02: far outside"),
    (2020, "RXA", "aaaa000000000003", "R07", "warning", "A.04", "confirmed_by_trust", "=HYPERLINK(\"x\")",
     "100", "<script>alert(1)</script>"),
    (2020, "RXB", "bbbb000000000001", "R09", "warning", "A.01", "open", "777777", "more than 0",
     "Item A.01 is zero; SECRET-RXB"),
    (2019, "RXA", "cccc000000000001", "R08", "info", "S1.02", "open", "No", "Yes", "Changed"),
]


@pytest.fixture()
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.validation_flags (cycle_year integer, org_code varchar, flag_id varchar, "
                    "rule_id varchar, severity varchar, item_id varchar, status varchar, submitted_value varchar, "
                    "expected varchar, message varchar)")
        con.executemany("insert into marts.validation_flags values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", FLAGS)
    return path


def cells(path: Path) -> list[list[object]]:
    book = openpyxl.load_workbook(path)
    return [list(row) for row in book["Flags"].iter_rows(values_only=True)]


def test_a_trusts_workbook_holds_exactly_its_flags(snapshot: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    flag_report.write_reports(snapshot, reports, [2020])
    workbook, page = flag_report.report_paths(reports, 2020, "RXA")
    rows = cells(workbook)
    header_index = next(i for i, row in enumerate(rows) if row[0] == "Flag ID")
    header = rows[header_index]
    assert header[-2:] == ["Response", "Explanation"]
    body = [dict(zip(header, row, strict=True)) for row in rows[header_index + 1:]]
    assert sorted(r["Flag ID"] for r in body) == ["aaaa000000000001", "aaaa000000000002", "aaaa000000000003"]
    text = " ".join(str(value) for row in rows for value in row if value is not None)
    assert "RXB" not in text and "777777" not in text and "SECRET" not in text and "cccc" not in text
    by_id = {r["Flag ID"]: r for r in body}
    assert by_id["aaaa000000000002"]["Your value"] == "A.02/A.01 = 0.0258"  # unrounded, as text
    assert by_id["aaaa000000000003"]["Your value"] == "'=HYPERLINK(\"x\")"  # never a live formula
    assert by_id["aaaa000000000003"]["Status"] == "Confirmed by trust"
    assert body[0]["Severity"] == "error"  # open errors first
    validations = openpyxl.load_workbook(workbook)["Flags"].data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].formula1 == '"Confirmed,Will resubmit"'
    assert str(validations[0].sqref) == f"I{header_index + 2}:I{header_index + 4}"
    html = page.read_text()
    assert "&lt;script&gt;" in html and "<script>" not in html and "RXB" not in html
    assert not flag_report.report_paths(reports, 2019, "RXA")[0].exists()  # only the cycle asked for


def test_a_filled_in_workbook_is_read_back(snapshot: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    flag_report.write_reports(snapshot, reports, [2020], ["RXA"])
    workbook = flag_report.report_paths(reports, 2020, "RXA")[0]
    book = openpyxl.load_workbook(workbook)
    sheet = book["Flags"]
    for row in sheet.iter_rows():
        if row[0].value == "aaaa000000000002":
            row[8].value, row[9].value = "Confirmed", "We merged two EPR systems."
        if row[0].value == "aaaa000000000001":
            row[8].value = "  will RESUBMIT "
        if row[0].value == "aaaa000000000003":
            row[8].value = "Maybe later"
    returned = tmp_path / "returned.xlsx"
    book.save(returned)
    parsed = {row.flag_id: row for row in parse_file(returned, "returned.xlsx")}
    assert set(parsed) == {"aaaa000000000001", "aaaa000000000002", "aaaa000000000003"}
    assert parsed["aaaa000000000002"].response == "Confirmed"
    assert parsed["aaaa000000000002"].explanation == "We merged two EPR systems."
    assert parsed["aaaa000000000001"].response == "Will resubmit"
    assert parsed["aaaa000000000003"].response is None
    assert "not one of Confirmed, Will resubmit" in str(parsed["aaaa000000000003"].problem)


def test_csv_responses_and_unreadable_files(tmp_path: Path) -> None:
    good = tmp_path / "answers.csv"
    good.write_text("flag_id,response,explanation\nabc,Confirmed,ok\n,,\ndef,nope,\n", encoding="utf-8")
    rows = parse_file(good, "answers.csv")
    assert [(r.flag_id, r.response, r.problem is None) for r in rows] == [("abc", "Confirmed", True),
                                                                          ("def", None, False)]
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a zip")
    [problem] = parse_file(bad, "broken.xlsx")
    assert problem.flag_id is None and problem.problem.startswith("file could not be read")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,answer\nabc,Confirmed\n", encoding="utf-8")
    [problem] = parse_file(wrong, "wrong.csv")
    assert "no header row naming 'Flag ID' and 'Response'" in str(problem.problem)


def test_the_html_report_renders_in_headless_chromium(snapshot: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    flag_report.write_reports(snapshot, reports, [2020], ["RXA"])
    page = flag_report.report_paths(reports, 2020, "RXA")[1]
    png = screenshot(page, tmp_path / "RXA.png", width=1000, height=700)
    # a blank or failed page is one colour; the report has a blue header row, red/amber text, black text
    assert distinct_colours(png) > 20


def test_only_changed_reports_are_rewritten(snapshot: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    assert len(flag_report.write_reports(snapshot, reports)) == 6  # RXA 2019, RXA 2020, RXB 2020
    assert flag_report.write_reports(snapshot, reports) == []
    with duckdb.connect(str(snapshot)) as con:
        con.execute("update marts.validation_flags set status = 'confirmed_by_trust' where flag_id = 'bbbb000000000001'")
    assert sorted(p.name for p in flag_report.write_reports(snapshot, reports)) == ["RXB.html", "RXB.xlsx"]
