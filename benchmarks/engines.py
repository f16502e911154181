"""Benchmark the two engines of the dbt project: wall time and peak memory, on the three-cycle sample
and on the incident feeds at ~10 million intervention rows.

Usage: uv run --extra spark python benchmarks/engines.py [--out benchmarks/results/engines.json]
       uv run --extra spark python benchmarks/engines.py --incident-scale 715 \
           [--spark-driver-memory 1g,3g] [--out benchmarks/results/engines_incidents_10m.json]
       (or `make bench-engines`, `make bench-engines-10m`)

Sample mode:
One landing zone is generated; then, for each engine (duckdb, spark), `ldis run --engine <engine>`
(run_pipeline) runs on a fresh state directory. Reported per engine:
  * wall seconds of the whole run and of the dbt build step (`warehouse_models`, which on Spark
    includes starting the JVM and handing the marts to DuckDB);
  * peak memory: the largest total resident set of this process and all its descendants (dbt, and on
    Spark the JVM), sampled every 0.2 s from /proc (ru_maxrss does not see the JVM, which dbt's
    pyspark starts and never waits for).
The machine's load average is recorded: figures taken on a shared machine are upper bounds.

Incident-scale mode (`--incident-scale`, 715 gives ~10 million rows): the scaled feeds are generated
once (orchestration/sample/incidents_scaled.py), ingested and validated once (Python and DuckDB,
engine-independent: the same raw and validated Parquet feed either engine), then the dbt build of the
incident models and everything they depend on (`+path:models/intermediate/incidents
+path:models/marts/incidents`, data tests included) runs once per engine, each in its own child
process, measured the same way (wall, peak resident set of the child's process tree). Spark's driver
memory (`LDIS_SPARK_DRIVER_MEMORY`) is tried in the order given until a build passes; every attempt is
recorded. Finally every incident mart Spark wrote is compared with DuckDB's, row for row (EXCEPT ALL).
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
import shutil
import subprocess

import duckdb

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
    """Largest resident set of the process tree under `root` (this process by default)."""

    def __init__(self, interval: float = 0.2, root: int | None = None) -> None:
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()
        self.root = root or os.getpid()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.root))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


INCIDENT_MODELS = ["+path:models/intermediate/incidents", "+path:models/marts/incidents"]


def measured_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, peak tree RSS MiB, exit code, output) of this script run as a child with `args`."""
    began = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args], stdout=log,
                                   stderr=subprocess.STDOUT, env=env, text=True)
        with PeakSampler(root=process.pid) as sampler:
            code = process.wait()
        seconds = time.perf_counter() - began
        log.seek(0)
        return seconds, sampler.peak, code, log.read()


def incident_settings(landing: Path, state: Path, engine: str):
    return make_settings(landing, state / "warehouse.duckdb", state / "reports", state / "state",
                         pseudonym_key="benchmark-key", engine=engine)


def stage_prepare(landing: Path, state: Path) -> None:
    """Ingest and validate the incident feeds: what the incidents asset does (engine-independent)."""
    from orchestration.lib import incidents, rawstore
    from orchestration.lib.archive import Archive

    settings = incident_settings(landing, state, "duckdb")
    settings.ensure_dirs()
    timings: dict[str, float] = {}
    began = time.perf_counter()
    rawstore.ensure_datasets(settings.raw_dir, rawstore.SCHEMAS)
    rawstore.ensure_datasets(settings.validated_dir, rawstore.VALIDATED_SCHEMAS)
    archive = Archive(settings.archive_dir, settings.raw_dir)
    providers = incidents.read_providers(settings.landing, archive)
    ingest = incidents.ingest_feeds(settings, archive, set(providers["provider_code"].to_list()))
    timings["ingest"] = time.perf_counter() - began
    began = time.perf_counter()
    validation = incidents.validate_feeds(settings, providers, incidents.read_bed_days(settings.landing, archive))
    timings["validate"] = time.perf_counter() - began
    print(json.dumps({"timings": timings, "rows_read": ingest.rows_read,
                      "current_interventions": validation.current_interventions}))


def stage_dbt(landing: Path, state: Path, engine: str) -> None:
    """The dbt build of the incident models (and their parents) on one engine."""
    from orchestration.lib import spark_engine
    from orchestration.pipeline import prepare_manifest
    from orchestration.settings import DBT_PROJECT_DIR

    settings = incident_settings(landing, state, engine)
    prepare_manifest()
    if engine == "spark":
        spark_engine.reset_if_inconsistent(settings.spark_dir)
        spark_engine.ensure_schema_summaries(settings.raw_dir, settings.validated_dir)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--target", engine, "-s", *INCIDENT_MODELS,
         "--exclude-resource-type", "unit_test", "--target-path", str(state / f"dbt_target_{engine}")],
        cwd=DBT_PROJECT_DIR, env={**os.environ, **settings.dbt_env()}, capture_output=True, text=True)
    print(result.stdout[-3000:])
    sys.exit(result.returncode)


def incident_marts_equal(state: Path) -> dict[str, dict[str, int]]:
    """Each incident mart Spark wrote against DuckDB's: row counts and rows only on one side (EXCEPT ALL)."""
    settings = incident_settings(state.parent / "landing", state, "spark")
    compared: dict[str, dict[str, int]] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{settings.working_db}' as duck (read_only)")
        for folder in sorted(settings.spark_marts_dir.iterdir()):
            spark = f"read_parquet('{folder}/*.parquet')"
            duck = f"duck.marts.{folder.name}"
            one_side = [con.execute(f"select count(*) from (select * from {a} except all select * from {b})")
                        .fetchone()[0] for a, b in ((spark, duck), (duck, spark))]
            rows = con.execute(f"select count(*) from {duck}").fetchone()[0]
            compared[folder.name] = {"rows": rows, "only_spark": one_side[0], "only_duckdb": one_side[1]}
    return compared


def main_incident_scale(scale: float, out: Path, driver_memories: list[str], keep: str | None) -> None:
    from orchestration.pipeline import prepare_manifest
    from orchestration.sample.incidents_scaled import generate_scaled_incidents

    prepare_manifest()  # dbt parse once, outside the measured steps
    base = Path(keep or tempfile.mkdtemp(prefix="ldis-engines-10m-"))
    landing, state = base / "landing", base / "run"
    if not (landing / "incidents").is_dir():
        began = time.perf_counter()
        generate_scaled_incidents(landing, scale)
        print(f"generated in {time.perf_counter() - began:.1f} s", flush=True)
    shutil.rmtree(state, ignore_errors=True)
    load = [round(os.getloadavg()[0], 2)]
    seconds, mib, code, output = measured_child(["--stage", "prepare", "--landing", str(landing), "--state", str(state)])
    if code != 0:
        raise RuntimeError(f"ingest + validate failed:\n{output[-3000:]}")
    detail = json.loads(output.strip().splitlines()[-1])
    print(f"ingest + validate {seconds:.1f} s, {mib:.0f} MiB", flush=True)
    results: dict[str, object] = {
        "ingest_validate": {"wall_seconds": round(seconds, 1), "peak_tree_rss_mib": round(mib),
                            "stage_seconds": {k: round(v, 1) for k, v in detail["timings"].items()}},
        "rows_read": detail["rows_read"], "current_interventions": detail["current_interventions"],
    }
    builds: dict[str, object] = {}
    for engine, memories in (("duckdb", [None]), ("spark", driver_memories)):
        attempts = []
        for memory in memories:
            env = {**os.environ, **({"LDIS_SPARK_DRIVER_MEMORY": memory} if memory else {})}
            load.append(round(os.getloadavg()[0], 2))
            seconds, mib, code, output = measured_child(
                ["--stage", "dbt", "--engine", engine, "--landing", str(landing), "--state", str(state)], env)
            attempt = {"wall_seconds": round(seconds, 1), "peak_tree_rss_mib": round(mib), "passed": code == 0}
            if memory:
                attempt["spark_driver_memory"] = memory
            if code != 0:
                attempt["tail"] = output[-1500:]
            attempts.append(attempt)
            print(engine, json.dumps({k: v for k, v in attempt.items() if k != "tail"}), flush=True)
            if code == 0:
                break
            if engine == "spark":  # start the next attempt from a clean Spark state
                shutil.rmtree(state / "state" / "spark", ignore_errors=True)
        builds[engine] = attempts[-1] if len(attempts) == 1 else {**attempts[-1], "attempts": attempts}
    results["dbt_build"] = builds
    if all(isinstance(b, dict) and b["passed"] for b in builds.values()):
        results["spark_equals_duckdb"] = incident_marts_equal(state)
    load.append(round(os.getloadavg()[0], 2))
    summary = {
        "what": ("incident feeds at scale: generate once, ingest + validate once (engine-independent), then the "
                 "dbt build of the incident models and their parents (data tests included) on each engine"),
        "scale": scale,
        "selection": INCIDENT_MODELS,
        "machine": f"{platform.machine()} {platform.python_version()}, {os.cpu_count()} cores, shared with other "
                   "engineers (figures taken under load)",
        "load_average_1min_during": load,
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **results,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written {out}")
    if not keep:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--incident-scale", type=float, help="benchmark the incident models at this scale (715: ~10M rows)")
    parser.add_argument("--spark-driver-memory", default="1g,3g",
                        help="incident scale: driver memories to try in order until the Spark build passes")
    parser.add_argument("--keep", help="incident scale: generate into (and keep) this directory; reuses its landing zone")
    parser.add_argument("--stage", choices=["prepare", "dbt"], help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--landing", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "prepare":
        return stage_prepare(Path(args.landing), Path(args.state))
    if args.stage == "dbt":
        return stage_dbt(Path(args.landing), Path(args.state), args.engine)
    results_dir = Path(__file__).parent / "results"
    if args.incident_scale:
        out = Path(args.out or results_dir / "engines_incidents_10m.json")
        return main_incident_scale(args.incident_scale, out, args.spark_driver_memory.split(","), args.keep)
    args.out = args.out or str(results_dir / "engines.json")
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
