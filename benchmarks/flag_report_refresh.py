"""Benchmark: from the pipeline noticing ONE trust's resubmission to its refreshed flag report on disk.

Usage: uv run python benchmarks/flag_report_refresh.py [--out benchmarks/results/flag_report_refresh.json]

On the national sample (three cycles, every trust): a first `ldis run` builds the warehouse; then one
trust resubmits its 2020 return (a later Submitted at, one value changed); the clock starts when the
pipeline notices it (`run_pipeline` is called, as `ldis run` or the landing sensor's run would) and
stops when that trust's flag report workbook on disk has been rewritten. The report-writing step
alone is also timed for one trust and for every trust, to show which part grows with the number of
trusts.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl

from orchestration.lib import flag_report
from orchestration.pipeline import run_pipeline
from orchestration.sample import generate_landing_zone
from orchestration.settings import make_settings


def resubmit(landing: Path, org_code: str) -> Path:
    """Copy the trust's 2020 workbook with a later Submitted at and A.04 changed."""
    for path in sorted((landing / "2020" / "org_returns").glob("*.xlsx")):
        try:
            book = openpyxl.load_workbook(path)
        except Exception:  # the sample's deliberately broken files
            continue
        names = {name.strip().casefold(): name for name in book.sheetnames}
        if "cover" not in names or "return" not in names:
            continue
        cover = book[names["cover"]]
        values = {str(row[0].value).strip().casefold(): row for row in cover.iter_rows() if row[0].value}
        if str(values.get("organisation code", [None, None])[1].value or "").strip().upper() != org_code:
            continue
        values["submitted at"][1].value = "2021-03-30T12:00:00"
        for row in book[names["return"]].iter_rows():
            if str(row[0].value).strip().upper() == "A.04":
                row[3].value = "123456"
        target = path.with_name(f"{org_code}-resubmission.xlsx")
        book.save(target)
        return target
    raise SystemExit(f"no readable 2020 workbook for {org_code}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "flag_report_refresh.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        generate_landing_zone(base / "landing", seed=2020)
        settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports")
        first = run_pipeline(settings)
        reports = sorted((settings.reports / "flag_reports" / "2020").glob("*.xlsx"))
        org_code = reports[0].stem
        workbook = reports[0]
        before = workbook.stat().st_mtime_ns
        resubmit(settings.landing, org_code)

        began = time.perf_counter()
        second = run_pipeline(settings)
        noticed_to_report = time.perf_counter() - began
        refreshed = workbook.stat().st_mtime_ns > before

        index = settings.reports / "flag_reports" / "fingerprints.json"
        index.unlink(missing_ok=True)  # force the rewrites timed below
        one = time.perf_counter()
        flag_report.write_reports(settings.warehouse, settings.reports, [2020], [org_code])
        one_trust = time.perf_counter() - one
        index.unlink(missing_ok=True)
        every = time.perf_counter()
        written = flag_report.write_reports(settings.warehouse, settings.reports)
        every_trust = time.perf_counter() - every
    summary = {
        "machine": f"{platform.machine()} {platform.python_version()}, 2 cores shared with other engineers (under load)",
        "trust": org_code,
        "report_refreshed": refreshed,
        "noticed_to_refreshed_report_seconds": round(noticed_to_report, 2),
        "target_seconds": 5,
        "target_met": noticed_to_report < 5,
        "resubmission_run_stages": {k: round(v, 2) for k, v in second.stage_seconds.items()},
        "resubmission_run_steps": {k: round(v, 2) for k, v in second.step_seconds.items()},
        "report_step_one_trust_seconds": round(one_trust, 3),
        "report_step_every_trust_seconds": round(every_trust, 3),
        "report_files_every_trust": len(written),
        "first_run_total_seconds": round(first.stage_seconds["total"], 2),
        "problems": first.problems + second.problems,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
