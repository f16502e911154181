"""Benchmark the published files: time to build every trust's report (and the national tables)
from the published snapshot of the three-cycle sample.

Usage: uv run python benchmarks/trust_reports.py [--warehouse FILE] [--pdf-sample N]
       [--out benchmarks/results/trust_reports.json]

Without --warehouse a sample landing zone is generated and `ldis run` builds the snapshot first
(not timed). The sample's 2020 cycle has 201 registered trusts, of which those with an accepted
return have figures and a report; the figure per 201 trusts is scaled from the measured time per
report. PDF printing (headless Chromium, one process per report) is timed on a sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orchestration.lib import browser, national_tables, report_data, trust_reports


def snapshot(base: Path) -> Path:
    from orchestration.pipeline import run_pipeline
    from orchestration.sample import generate_landing_zone
    from orchestration.settings import make_settings

    generate_landing_zone(base / "landing", seed=2020)
    settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports",
                             today=dt.date(2021, 6, 1))
    run_pipeline(settings)
    return settings.warehouse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--pdf-sample", type=int, default=10)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "trust_reports.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        warehouse = args.warehouse or snapshot(base)
        with report_data.open_snapshot(warehouse) as con:
            cycles = report_data.published_cycles(con)
            latest = cycles[-1]
            latest_trusts = report_data.trusts_of_cycle(con, latest)
            registered = con.execute("select registered_trusts from marts.participation where cycle_year = ? "
                                     "and provider_type = 'all' and org_type = 'all'", [latest]).fetchone()[0]
        reports = base / "reports"
        began = time.perf_counter()
        built = trust_reports.build_all(warehouse, reports)
        all_seconds = time.perf_counter() - began
        began = time.perf_counter()
        national = national_tables.build_all(warehouse, reports)
        national_seconds = time.perf_counter() - began
        per_report = all_seconds / len(built.reports)
        sample = [path for path in built.reports if path.parent.name == str(latest)][: args.pdf_sample]
        began = time.perf_counter()
        for path in sample:
            browser.print_pdf(path, path.with_suffix(".pdf"))
        pdf_per_report = (time.perf_counter() - began) / max(len(sample), 1)
    result = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other engineers' test runs (under load)",
        "published_cycles": cycles,
        "reports_built": len(built.reports),
        "html_all_reports_seconds": round(all_seconds, 2),
        "html_seconds_per_report": round(per_report, 4),
        "latest_cycle": latest,
        "latest_cycle_trusts_with_reports": len(latest_trusts),
        "latest_cycle_registered_trusts": registered,
        "html_201_trusts_one_cycle_seconds_scaled": round(201 * per_report, 2),
        "national_tables_files": len(national),
        "national_tables_seconds": round(national_seconds, 2),
        "pdf_sample": len(sample),
        "pdf_seconds_per_report": round(pdf_per_report, 2),
        "pdf_201_trusts_seconds_scaled": round(201 * pdf_per_report, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
