"""Benchmark `ldis run` on the three-cycle sample: wall time and peak memory, split by stage.

Usage: uv run python benchmarks/pipeline_run.py [--runs N] [--out benchmarks/results/pipeline_run.json]

Each run starts from an empty state directory (a cold warehouse), then a second run on the same
landing zone measures the no-change re-run. Peak memory is the maximum resident set size of this
process and its children (dbt runs as a subprocess).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orchestration.pipeline import run_pipeline
from orchestration.sample import generate_landing_zone
from orchestration.settings import make_settings


def peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "pipeline_run.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        began = time.perf_counter()
        generate_landing_zone(base / "landing", seed=2020)
        generate_seconds = time.perf_counter() - began
        for run in range(args.runs):
            shutil.rmtree(base / "out", ignore_errors=True)
            settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports")
            cold = run_pipeline(settings)
            warm = run_pipeline(settings)
            results.append({"run": run, "cold": cold.stage_seconds, "rerun": warm.stage_seconds,
                            "cold_steps": cold.step_seconds, "rerun_steps": warm.step_seconds,
                            "published": {str(k): v for k, v in cold.published.items()},
                            "problems": cold.problems + warm.problems})
    summary = {
        "machine": f"{platform.machine()} {platform.python_version()}",
        "generate_seconds": round(generate_seconds, 2),
        "runs": results,
        "peak_rss_mib": round(peak_mib(), 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2, default=str))
    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
