"""Bespoke trust reports: one HTML file per trust per published cycle (and a PDF when asked).

Built only from the published snapshot (`report_data`), one trust at a time: the rows of a report
are selected by the trust's code in SQL, so no other trust's figures reach its template. Peer and
national figures are aggregates (peer statistics only for groups of at least 8 other trusts).
Every figure is written through `published_figures` (the disclosure function); HTML is rendered by
Jinja2 with autoescape on.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from orchestration.lib import rawstore, report_data
from orchestration.lib.disclosure import SUPPRESSED
from orchestration.lib.published_figures import (
    disclosed_trust_value,
    format_number,
    is_answer,
    national_value,
    trust_figure_text,
)
from orchestration.lib.svg_charts import PeerPosition, peer_positions_svg, trend_svg

TEMPLATES = Path(__file__).with_name("templates")
COLUMN_LABELS = {"good_performance": "indicator of a good service",
                 "area_for_improvement": "indicator of an area for improvement"}
QUARTILE_LABELS = {1: "lowest quarter", 2: "second quarter", 3: "third quarter", 4: "highest quarter"}


@dataclass
class BuildResult:
    reports: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def report_path(reports_dir: Path, cycle_year: int, org_code: str) -> Path:
    return reports_dir / "trusts" / str(cycle_year) / f"{org_code}.html"


def build_all(warehouse: Path, reports_dir: Path, *, org_codes: list[str] | None = None) -> BuildResult:
    """Every trust's report for every published cycle; the trusts folder is replaced whole."""
    started = time.perf_counter()
    result = BuildResult()
    target = reports_dir / "trusts"
    staging = reports_dir / f".trusts.{os.getpid()}.building"
    shutil.rmtree(staging, ignore_errors=True)
    template = environment().get_template("trust_report.html.j2")
    with report_data.open_snapshot(warehouse) as con:
        cycles = report_data.published_cycles(con)
        trusts = sorted({code for cycle in cycles for code in report_data.trusts_of_cycle(con, cycle)})
        for org_code in org_codes if org_codes is not None else trusts:
            own_rows = report_data.trust_rows(con, org_code)
            for cycle_year in sorted({row["cycle_year"] for row in own_rows}):
                flags = report_data.open_flags(con, org_code, cycle_year)
                html = template.render(**report_context(org_code, cycle_year, own_rows, flags))
                path = report_path(staging, cycle_year, org_code)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(html, encoding="utf-8")
                result.reports.append(report_path(reports_dir, cycle_year, org_code))
    built = staging / "trusts"
    built.mkdir(parents=True, exist_ok=True)
    rawstore.replace_directory(target, built)  # a reader sees the old reports or the new ones
    shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def report_context(org_code: str, cycle_year: int, own_rows: list[dict[str, Any]],
                   flags: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the template shows for one trust and cycle, already disclosed and formatted."""
    if any(row["org_code"] != org_code for row in own_rows):
        raise ValueError(f"rows of another trust passed to the report of {org_code}")
    this_cycle = [row for row in own_rows if row["cycle_year"] == cycle_year]
    earlier = {(row["cycle_year"], row["indicator_id"]): row for row in own_rows}
    first = this_cycle[0]
    cycles = sorted({row["cycle_year"] for row in own_rows if row["cycle_year"] <= cycle_year})
    standards = []
    for standard, title in report_data.STANDARD_TITLES.items():
        measures: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in this_cycle:
            if row["standard"] == standard:
                previous = earlier.get((row["previous_cycle_year"], row["indicator_id"]))
                measures[row["measure"]].append(_indicator_line(row, previous))
        if measures:
            met, answered = _compliance(this_cycle, standard)
            standards.append({"number": standard, "title": title, "met": met, "answered": answered,
                              "measures": sorted(measures.items())})
    return {
        "org_code": org_code,
        "org_name": first["org_name"] or org_code,
        "provider_type": first["provider_type"],
        "org_type": first["org_type"].replace("_", " "),
        "cycle_year": cycle_year,
        "standards": standards,
        "peer_chart": Markup(peer_positions_svg(_peer_positions(this_cycle))) if _peer_positions(this_cycle) else None,
        "trend_chart": Markup(_compliance_trend(own_rows, cycles)),
        "cycles": cycles,
        "flags": flags,
    }


def _indicator_line(row: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    answer = is_answer(row)
    shown = disclosed_trust_value(row)
    favourable = None
    if answer and row["value"] is not None:
        favourable = (float(row["value"]) == 100.0) == bool(row["higher_is_better"])
    if row["peer_median"] is None:
        peer = f"not shown (fewer than 8 peers: {row['peer_trusts']})"
    elif answer:
        peer = f"{format_number(row['peer_mean'], 'percent')} of peers"
    else:
        peer = (f"median {format_number(row['peer_median'], row['unit'])} "
                f"(middle half {format_number(row['peer_q1'], row['unit'])} to "
                f"{format_number(row['peer_q3'], row['unit'])})")
    position = QUARTILE_LABELS.get(row["quartile_position"]) if not answer and shown not in (None, SUPPRESSED) else None
    return {
        "indicator_id": row["indicator_id"],
        "statement": row["statement"],
        "column": COLUMN_LABELS.get(row["table_column"], row["table_column"]),
        "trust": trust_figure_text(row),
        "favourable": favourable,
        "peer": peer,
        "position": position,
        "national": format_number(national_value(row["national_value"]), row["unit"]) or "no figure",
        "change": _change_text(row, previous),
    }


def _change_text(row: dict[str, Any], previous: dict[str, Any] | None) -> str:
    if previous is None or previous["value"] is None:
        return "no earlier figure"
    if is_answer(row):
        before = trust_figure_text(previous)
        now = trust_figure_text(row)
        return "unchanged" if before == now else f"was {before}"
    now_value, before_value = disclosed_trust_value(row), disclosed_trust_value(previous)
    if now_value in (None, SUPPRESSED) or before_value in (None, SUPPRESSED):
        return "not shown"  # a change beside a suppressed figure would reveal it
    return f"was {format_number(before_value, row['unit'])}"


def _compliance(rows: list[dict[str, Any]], standard: int) -> tuple[int, int]:
    """Yes/no indicators of the standard where the trust's answer is the good outcome."""
    answered = [row for row in rows if row["standard"] == standard and is_answer(row) and row["value"] is not None]
    met = sum(1 for row in answered if (float(row["value"]) == 100.0) == bool(row["higher_is_better"]))
    return met, len(answered)


def _compliance_trend(own_rows: list[dict[str, Any]], cycles: list[int]) -> str:
    series: dict[str, list[float | None]] = {}
    for standard in report_data.STANDARD_TITLES:
        values: list[float | None] = []
        for cycle in cycles:
            met, answered = _compliance([row for row in own_rows if row["cycle_year"] == cycle], standard)
            values.append(100.0 * met / answered if answered else None)
        if any(value is not None for value in values):
            series[f"Standard {standard}"] = values
    return trend_svg(cycles, series, y_max=100.0, y_label="%")


def _peer_positions(rows: list[dict[str, Any]]) -> list[PeerPosition]:
    positions = []
    for row in rows:
        if is_answer(row) or row["peer_median"] is None:
            continue
        shown = disclosed_trust_value(row)
        trust = float(shown) if shown not in (None, SUPPRESSED) else None
        national = float(row["national_value"]) if row["national_value"] is not None else None
        highest = max(float(v) for v in (row["peer_q3"], shown if trust is not None else 0, national or 0))
        scale = _nice_ceiling(highest * 1.2)
        if row["unit"] == "percent":
            scale = min(scale, 100.0)
        positions.append(PeerPosition(label=f"{row['indicator_id']} ({row['unit'].replace('_', ' ')})",
                                      q1=float(row["peer_q1"]), median=float(row["peer_median"]),
                                      q3=float(row["peer_q3"]), trust=trust, national=national, scale_max=scale))
    return positions


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10.0 * magnitude
