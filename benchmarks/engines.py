"""Benchmark the two engines of the dbt project on the three-cycle sample: wall time and peak memory.

Usage: uv run --extra spark python benchmarks/engines.py [--out benchmarks/results/engines.json]
       (or `make bench-engines`)

One landing zone is generated; then, for each engine (duckdb, spark), `ldis run --engine <engine>`
(run_pipeline) runs on a fresh state directory. Reported per engine:
  * wall seconds of the whole run and of the dbt build step (`warehouse_models`, which on Spark
    includes starting the JVM and handing the marts to DuckDB);
  * peak memory: the largest total resident set of this process and all its descendants (dbt, and on
    Spark the JVM), sampled every 0.2 s from /proc (ru_maxrss does not see the JVM, which dbt's
    pyspark starts and never waits for).
The machine's load average is recorded: figures taken on a shared machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from orchestration.pipeline import run_pipeline
from orchestration.sample import generate_landing_zone
from orchestration.settings import DEMO_PSEUDONYM_KEY, make_settings

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_rss_mib(root: int) -> float:
    """Resident memory of `root` and every descendant, MiB."""
    children, total, todo = _children_map(), 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
        todo.extend(children.get(pid, []))
    return total / 1024


class PeakSampler:
    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mib(os.getpid()))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "engines.json"))
    parser.add_argument("--engines", default="duckdb,spark")
    args = parser.parse_args()
    os.environ.setdefault("LDIS_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        generate_landing_zone(base / "landing", seed=2020)
        for engine in args.engines.split(","):
            settings = make_settings(base / "landing", base / engine / "warehouse.duckdb", base / engine / "reports",
                                     demo_mode=True, engine=engine)
            load_before = os.getloadavg()[0]
            began = time.perf_counter()
            with PeakSampler() as sampler:
                report = run_pipeline(settings)
            results[engine] = {
                "wall_seconds": round(time.perf_counter() - began, 1),
                "dbt_build_seconds": round(report.step_seconds.get("warehouse_models", float("nan")), 1),
                "stage_seconds": {k: round(v, 1) for k, v in report.stage_seconds.items()},
                "peak_tree_rss_mib": round(sampler.peak, 1),
                "published": {str(k): v for k, v in report.published.items()},
                "problems": report.problems,
                "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            }
            print(engine, json.dumps(results[engine]))
    summary = {
        "what": "ldis run on the three-cycle sample (seed 2020), fresh state per engine",
        "machine": f"{platform.machine()} {platform.python_version()}, {os.cpu_count()} cores",
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "engines": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
