"""The hostile corpus through `ldis run`: one clean landing zone, and the same zone with every case
of `corpus.py` added, each run once. For each case: the precise flag (or none), the run carries on,
every other figure and flag is the clean run's, and the landing zone is byte-for-byte as it was."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from orchestration.pipeline import RunReport, run_pipeline
from orchestration.settings import Settings, make_settings
from tests.hostile.corpus import (
    ALL_CASES,
    PEERS,
    Case,
    clean_workbook,
    expected_flag_id,
    file_sha256,
)
from tests.hostile.landing_state import fingerprint
from tests.landing import write_register

pytestmark = pytest.mark.e2e
FIGURES = ("national_indicators", "participation")


def build_clean(landing: Path) -> None:
    write_register(landing, participants={2020: sorted(PEERS)})
    for org in sorted(PEERS):
        clean_workbook(org)(landing / "2020" / "org_returns" / f"{org}.xlsx", landing)


class World:
    def __init__(self, base: Path) -> None:
        self.clean_landing, self.landing, self.outside = base / "clean", base / "hostile", base / "outside"
        self.outside.mkdir()
        build_clean(self.clean_landing)
        build_clean(self.landing)
        self.originals = {file_sha256(p): p.name for p in (self.landing / "2020" / "org_returns").glob("*.xlsx")}
        for case in ALL_CASES:
            case.build(self.landing / case.path, self.outside)
        self.before = fingerprint(self.landing)
        self.clean: Settings = make_settings(self.clean_landing, base / "c" / "w.duckdb", base / "c" / "reports")
        self.hostile: Settings = make_settings(self.landing, base / "h" / "w.duckdb", base / "h" / "reports")
        # a real (test) pseudonymisation key, so incident feeds are ingested rather than held
        with mock.patch.dict(os.environ, {"LDIS_PSEUDONYM_KEY": "hostile-corpus-test-key"}):
            self.clean_report: RunReport = run_pipeline(self.clean)
            self.report: RunReport = run_pipeline(self.hostile)
        self.after = fingerprint(self.landing)
        self.flags = {row[0]: row for row in query(self.hostile, "select flag_id, rule_id, org_code, cycle_year, "
                                                   "submitted_value, message, status from marts.validation_flags")}
        self.response_problems = query(self.hostile, "select landing_path, flag_id, problem "
                                                     "from marts.flag_response_problems")


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("corpus"))


def _param(case: Case):
    marks = [] if case.ingested_here else [pytest.mark.xfail(
        strict=True, reason=f"the corpus does not read where {case.required_source!r} reports its faults yet")]
    return pytest.param(case, id=case.case_id, marks=marks)


def test_corpus_covers_every_source_with_distinct_faults() -> None:
    by_source = Counter(case.source for case in ALL_CASES)
    assert len(ALL_CASES) >= 60
    assert {"org_return", "landing", "staff_survey", "service_user_survey", "flag_response",
            "incident_feed"} <= set(by_source)
    assert sum(n for s, n in by_source.items() if s in ("org_return", "landing")) >= 35
    assert len({case.fault for case in ALL_CASES}) == len(ALL_CASES)  # each a distinct fault


def test_the_run_carries_on(world: World) -> None:
    assert world.clean_report.problems == [] and world.report.problems == []
    assert world.report.published == {2020: "published"}


def _found(world: World, case: Case) -> list[str]:
    """Flag ids matching each expectation of the case (assertion errors say which is missing)."""
    matched: list[str] = []
    for expect in case.expect:
        wanted = expected_flag_id(case, expect, world.landing, world.originals)
        if wanted is not None:
            assert wanted in world.flags, f"{case.case_id}: no {expect.rule_id} flag with id {wanted}"
            candidates = [world.flags[wanted]]
        else:
            candidates = [row for row in world.flags.values()
                          if row[1] == expect.rule_id and row[2] == expect.org_code
                          and (not expect.rule_id.startswith("F") or f"(file: {case.path})" in row[5])]
            assert candidates, f"{case.case_id}: no {expect.rule_id} flag for {expect.org_code}"
        for row in candidates:  # matched by rule and organisation: every such flag is this case's
            assert (row[1], row[2], row[3]) == (expect.rule_id, expect.org_code, expect.cycle_year)
            assert expect.detail in (row[4] or "") or expect.detail in row[5], (case.case_id, row)
            if expect.keyed_on in ("bytes", "path", "copy"):
                assert f"(file: {case.path})" in row[5]  # the flag names the file as it landed
            matched.append(row[0])
    return matched


@pytest.mark.parametrize("case", [_param(c) for c in ALL_CASES])
def test_case_gets_its_precise_flag(world: World, case: Case) -> None:
    matched = _found(world, case)
    naming = [row for row in world.flags.values() if f"(file: {case.path})" in row[5] and row[0] not in matched]
    assert naming == [], f"{case.case_id}: flags beyond the expected ones: {naming}"
    if not case.expect:
        assert not any(case.path in row[5] for row in world.flags.values())
    if case.problem:  # a returned report's fault: the collection team's list, not a flag
        assert any(path == case.path and case.problem in problem for path, _, problem in world.response_problems), \
            (case.case_id, [row for row in world.response_problems if row[0] == case.path])


def test_no_flag_outside_the_expected_ones(world: World) -> None:
    """Every flag of the hostile run is one a case expects: nothing else was disturbed."""
    expected: set[str] = set()
    for case in ALL_CASES:
        if case.ingested_here:
            expected.update(_found(world, case))
    clean_flags = {row[0] for row in query(world.clean, "select flag_id from marts.validation_flags")}
    assert set(world.flags) - expected == clean_flags


def test_every_other_figure_is_unchanged(world: World) -> None:
    for table in FIGURES:
        sql = f"select * from marts.{table} order by all"
        clean, hostile = query(world.clean, sql), query(world.hostile, sql)
        assert clean and hostile == clean, table


def test_landing_zone_is_byte_for_byte_as_it_was(world: World) -> None:
    assert world.after == world.before
    assert len(world.before) > len(ALL_CASES)


def test_links_out_of_the_zone_were_never_read(world: World) -> None:
    archived = {p.name for p in world.hostile.archive_dir.rglob("*") if p.is_file()}
    outside = [p for p in world.outside.rglob("*") if p.is_file()] + [Path("/etc/passwd")]
    assert outside and not {file_sha256(p) for p in outside} & archived
    received = query(world.hostile, "select 1")  # the snapshot opens; raw receipts checked below
    assert received
    with duckdb.connect() as con:
        paths = {row[0] for row in con.execute(
            "select landing_path from read_parquet(?, union_by_name = true)",
            [str(world.hostile.raw_dir / "received_files" / "**" / "*.parquet")]).fetchall()}
    links = [c.path for c in ALL_CASES if c.case_id.startswith(("link_", "dangling_", "register_link"))
             and c.case_id != "link_inside_zone"]
    assert links and not set(links) & paths


def test_planted_formulas_reach_the_flags_as_data_and_leave_neutralised(world: World, tmp_path: Path) -> None:
    """The corpus's formulas and script arrive in the published flags intact (they are data); written
    into a flag-report-like xlsx, csv and html through safe_cell / html.escape, none survives as a
    formula or unescaped markup. Whatever reports this branch writes pass the same checker."""
    import csv
    import html

    import xlsxwriter

    from orchestration.lib.spreadsheet_safety import safe_row
    from tests.hostile.corpus import INJECTIONS
    from tests.output_safety import Checked, check_outputs, dangerous

    rows = query(world.hostile, "select flag_id, org_code, rule_id, submitted_value, message "
                                "from marts.validation_flags order by flag_id")
    values = [value for row in rows for value in row]
    assert sum(dangerous(v) for v in values) >= 5  # =, +, -, @ and a formula file name all arrived
    assert any(INJECTIONS["script"].upper() in str(v) for v in values)
    out = tmp_path / "reports"
    out.mkdir()
    book = xlsxwriter.Workbook(str(out / "flags.xlsx"), {"strings_to_formulas": False})
    sheet = book.add_worksheet("Flags")
    with (out / "flags.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        for number, row in enumerate(rows):
            safe = safe_row(list(row))
            writer.writerow(safe)
            sheet.write_row(number, 0, safe)
    book.close()
    cells = "".join(f"<tr>{''.join(f'<td>{html.escape(str(v))}</td>' for v in row)}</tr>" for row in rows)
    (out / "flags.html").write_text(f"<html><body><table>{cells}</table></body></html>")
    checked = Checked()
    assert check_outputs(out, [INJECTIONS["script"], INJECTIONS["script"].upper()], checked) == []
    assert checked.spreadsheets == 2 and checked.html == 1 and checked.cells >= 2 * len(values)
    assert check_outputs(world.hostile.reports, [INJECTIONS["script"], INJECTIONS["script"].upper()]) == []
