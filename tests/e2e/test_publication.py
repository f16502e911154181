"""Publication end to end: a generated landing zone through `ldis run` as of a date when 2018 and
2019 are closed and 2020's window is still open, then the files built from the snapshot."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.lib import browser, national_tables, trust_reports
from orchestration.lib.catalogue import read_catalogue
from orchestration.pipeline import RunReport, run_pipeline
from orchestration.sample import generate_landing_zone
from orchestration.settings import Settings, make_settings

pytestmark = pytest.mark.e2e

TODAY = dt.date(2021, 1, 15)  # 2018 and 2019 closed; the 2020 window runs to 31 March 2021
LATEST = 2019


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunReport]:
    base = tmp_path_factory.mktemp("publication")
    generate_landing_zone(base / "landing", seed=2020)
    settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports",
                             today=TODAY)
    return settings, run_pipeline(settings)


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def presentation_order(standard: int) -> list[tuple[str, str]]:
    """(indicator_id, table_column) of the standard as the seed arranges it."""
    indicators = {row["indicator_id"]: row for row in read_catalogue("indicators")}
    seed = [row for row in read_catalogue("indicator_presentation")
            if indicators[row["indicator_id"]]["standard"] == str(standard)]
    seed.sort(key=lambda row: (indicators[row["indicator_id"]]["measure"], int(row["order_in_measure"])))
    return [(row["indicator_id"], row["table_column"]) for row in seed]


def test_reports_exist_only_for_published_cycles(world) -> None:
    settings, report = world
    assert report.problems == []
    assert report.published == {2018: "published", 2019: "published", 2020: "held_open"}
    assert sorted(p.name for p in (settings.reports / "trusts").iterdir()) == ["2018", "2019"]
    assert sorted(p.name for p in (settings.reports / "national").iterdir()) == ["2018", "2019"]
    trusts = {row[0] for row in query(settings.warehouse,
                                      "select org_code from marts.trust_indicators where cycle_year = ?", [LATEST])}
    built = {path.stem for path in (settings.reports / "trusts" / str(LATEST)).glob("*.html")}
    assert built == trusts and len(built) > 150


@pytest.mark.parametrize("standard", [1, 2, 3, 4])
def test_tables_hold_every_catalogue_indicator_in_the_reports_arrangement(world, standard: int) -> None:
    settings, _ = world
    expected = presentation_order(standard)
    catalogue = {row["indicator_id"] for row in read_catalogue("indicators") if row["standard"] == str(standard)}
    assert {indicator for indicator, _ in expected} == catalogue
    mart = ["standard_1_rights", "standard_2_inclusion", "standard_3_workforce", "standard_4_specialist"][standard - 1]
    in_mart = query(settings.warehouse, f"select indicator_id, table_column from marts.{mart} "
                                        "where cycle_year = ? order by measure, order_in_measure", [LATEST])
    assert in_mart == expected
    workbook = openpyxl.load_workbook(settings.reports / "national" / str(LATEST) / f"national_tables_{LATEST}.xlsx")
    sheet = list(workbook[f"Table {standard}"].iter_rows(values_only=True))
    header = sheet[0]
    labels = {"good_performance": "Performance against indicators of a good service",
              "area_for_improvement": "Indicators of areas for improvement"}
    assert [(row[header.index("Indicator")], row[header.index("Report column")]) for row in sheet[1:]] == [
        (indicator, labels[column]) for indicator, column in expected]


def test_year_on_year_marks_items_not_collected_before(world) -> None:
    settings, _ = world
    rows = query(settings.warehouse, "select previous_value, direction, comparison from marts.indicator_year_on_year "
                                     "where indicator_id = 'IR.01' and cycle_year = 2019")
    assert rows == [(None, "not comparable", "not collected in 2018")]


def test_suppression_in_published_files(world, tmp_path: Path) -> None:
    settings, _ = world
    copy = tmp_path / "snapshot.duckdb"
    shutil.copy(settings.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update marts.participation set registered_trusts = 3, completed_returns = 12 "
                    "where cycle_year = ? and provider_type = 'specialist' and org_type = 'community'", [LATEST])
        total = con.execute("select registered_trusts from marts.participation where cycle_year = ? "
                            "and provider_type = 'all' and org_type = 'all'", [LATEST]).fetchone()[0]
        trust = con.execute("select org_code from marts.trust_indicators where cycle_year = ? and indicator_id = 'IR.03' "
                            "and value is not null order by org_code limit 1", [LATEST]).fetchone()[0]
        con.execute("update marts.trust_indicators set numerator = 3, value = 3.0 "
                    "where cycle_year = ? and indicator_id = 'IR.03' and org_code = ?", [LATEST, trust])
    reports = tmp_path / "reports"
    national_tables.build_all(copy, reports)
    with (reports / "national" / str(LATEST) / f"participation_{LATEST}.csv").open() as handle:
        table = {(row["Provider type"], row["Organisation type"]): row for row in csv.DictReader(handle)}
    assert table[("specialist", "community")]["Registered trusts"] == "*"
    assert table[("specialist", "community")]["Completed returns"] == "10"
    assert table[("all", "all")]["Registered trusts"] == str(total)  # national: unrounded
    sheet = openpyxl.load_workbook(reports / "national" / str(LATEST) / f"national_tables_{LATEST}.xlsx")["Participation"]
    cells = {(row[0], row[1]): row for row in sheet.iter_rows(values_only=True)}
    assert cells[("specialist", "community")][2:4] == ("*", 10)
    trust_reports.build_all(copy, reports, org_codes=[trust])
    html = (reports / "trusts" / str(LATEST) / f"{trust}.html").read_text()
    line = next(row for row in html.split("<tr>") if "(IR.03," in row)
    assert '<td class="num">*' in line


def test_a_trust_report_shows_no_other_trust(world) -> None:
    settings, _ = world
    register = query(settings.warehouse, "select distinct org_code, org_name from marts.trust_indicators")
    folder = settings.reports / "trusts" / str(LATEST)
    for path in sorted(folder.glob("*.html"))[:40]:
        html = path.read_text()
        words = set(re.findall(r"\b[A-Z0-9]{3,5}\b", html))
        others = {code for code, _ in register if code != path.stem}
        assert not words & others, f"{path.name} names {sorted(words & others)}"
        own_name = dict(register)[path.stem]
        # another trust's name (one that is not part of this trust's own name) never appears
        assert not [name for code, name in register if code != path.stem and name and name not in own_name
                    and name in html]
        # the trust's own figures are there (its rate, as its own row says)
        own = query(settings.warehouse, "select value from marts.trust_indicators where org_code = ? and "
                    "cycle_year = ? and indicator_id = 'IA.01' and value is not null and numerator >= 8 "
                    "and denominator >= 8", [path.stem, LATEST])
        if own:
            line = next(row for row in html.split("<tr>") if "(IA.01," in row)
            assert f"{own[0][0]:.1f}%" in line


def test_a_trust_report_renders_in_headless_chromium(world, tmp_path: Path) -> None:
    settings, _ = world
    code = query(settings.warehouse, "select org_code from marts.trust_indicators where cycle_year = ? and "
                 "provider_type = 'specialist' and peer_median is not null order by org_code limit 1", [LATEST])[0][0]
    html = settings.reports / "trusts" / str(LATEST) / f"{code}.html"
    png = browser.screenshot(html, tmp_path / "report.png")
    width, height, _ = browser.png_pixels(png)
    assert (width, height) == (1280, 2000)
    assert browser.distinct_colours(png) > 50  # text, tables and charts, not a blank page
    dom = browser.rendered_dom(html)
    for heading in ("Compliance with each standard", "Trend over cycles", "Where you sit among your peers",
                    "Standard 1: Respecting and protecting rights", "Standard 4: Specialist learning disabilities services",
                    "Open data-quality notes"):
        assert heading in dom
    assert dom.count("<svg") == 2
