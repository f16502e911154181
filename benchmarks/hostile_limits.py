"""Benchmark the workbook reader on hostile inputs at and over its limits: time and peak memory.

Usage: uv run python benchmarks/hostile_limits.py [--out benchmarks/results/hostile_limits.json]

Each file is read by `read_workbook` in a fresh child process, so each peak resident set size is
that read's own. The point: every hostile file is refused (or read) in bounded time and memory, so
a run-time-per-file limit is enforced by bounding the work (bytes, expansion, cells), not a timer.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent


def build_cases(folder: Path) -> dict[str, Path]:
    import xlsxwriter

    from tests.builders import default_answers, write_workbook
    from tests.hostile.corpus import oversized, sparse_extent, zip_bomb

    cases = {"clean_return": write_workbook(folder / "clean.xlsx", default_answers(2020, "specialist", "mental_health"))}
    for name, build in (("zip_bomb_210MB", zip_bomb), ("sparse_17G_cells", sparse_extent), ("oversized_21MB", oversized)):
        build(folder / f"{name}.xlsx", folder)
        cases[name] = folder / f"{name}.xlsx"
    for name, rows in (("return_1_9M_cells", 380_000), ("return_2_1M_cells", 420_000)):
        path = folder / f"{name}.xlsx"
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        cover = book.add_worksheet("Cover")
        for row, (label, value) in enumerate({"Organisation code": "RXA", "Collection year": "2020"}.items()):
            cover.write_string(row, 0, label)
            cover.write_string(row, 1, value)
        sheet = book.add_worksheet("Return")
        sheet.write_row(0, 0, ["Item ID", "Section", "Question", "Response", "Comment"])
        for row in range(1, rows):
            sheet.write_row(row, 0, [f"X.{row}", "S", "q", "1", ""])
        book.close()
        cases[name] = path
    return cases


def measure_one(path: str) -> None:
    from orchestration.lib.workbook import read_workbook

    started = time.perf_counter()
    facts = read_workbook(Path(path))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 3), "status": facts.parse_status, "detail": facts.parse_detail,
                      "rows": len(facts.responses),
                      "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "hostile_limits.json"))
    parser.add_argument("--one")
    args = parser.parse_args()
    if args.one:
        measure_one(args.one)
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in build_cases(Path(tmp)).items():
            output = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True,
                                    check=True, cwd=ROOT).stdout
            results[name] = {"bytes": path.stat().st_size, **json.loads(output.strip().splitlines()[-1])}
            print(name, results[name])
    summary = {"machine": f"{platform.machine()} {platform.system()}, 2 cores shared with other work (under load)",
               "python": platform.python_version(), "reads": results}
    Path(args.out).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
