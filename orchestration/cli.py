"""`ldis`: run the LDIS pipeline, make a sample landing zone, or run the demo.

Thin on purpose: every command calls the same Dagster asset graph the UI shows (see pipeline.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

from orchestration.settings import DEMO_PSEUDONYM_KEY, ENGINES, REPO_ROOT, make_settings

EXIT_OK, EXIT_COULD_NOT_RUN, EXIT_USAGE = 0, 1, 2


def _add_run_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    env = os.environ.get
    parser.add_argument("--landing", required=required and not env("LDIS_LANDING"),
                        default=env("LDIS_LANDING"), help="landing zone root (env LDIS_LANDING)")
    parser.add_argument("--warehouse", required=required and not env("LDIS_WAREHOUSE"),
                        default=env("LDIS_WAREHOUSE"), help="published DuckDB snapshot (env LDIS_WAREHOUSE)")
    parser.add_argument("--reports", required=required and not env("LDIS_REPORTS"),
                        default=env("LDIS_REPORTS"), help="reports directory (env LDIS_REPORTS)")
    parser.add_argument("--state", default=env("LDIS_STATE"),
                        help="working database, raw layer, archive and Dagster instance "
                        "(default: <warehouse stem>_state beside the warehouse file)")
    parser.add_argument("--publish-open", action="store_true",
                        help="also publish cycles whose collection window is still open")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="judge collection windows as of this date (YYYY-MM-DD; default today)")
    parser.add_argument("--engine", choices=ENGINES, default=env("LDIS_ENGINE") or "duckdb",
                        help="build the dbt models on DuckDB (default) or Spark (needs the spark extra; "
                        "docs/scale-out.md; env LDIS_ENGINE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ldis", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole pipeline on a landing zone")
    _add_run_arguments(run, required=True)
    demo = commands.add_parser("demo", help="make the sample landing zone and run the pipeline on it")
    demo.add_argument("--dir", default=str(REPO_ROOT / ".ldis"),
                      help="where the demo's landing zone, warehouse and reports go (default ./.ldis)")
    demo.add_argument("--seed", type=int, default=2020)
    demo.add_argument("--fresh", action="store_true", help="delete the demo folder first")
    generate = commands.add_parser("generate", help="write a sample landing zone")
    generate.add_argument("--out", required=True, help="landing zone root to create")
    generate.add_argument("--seed", type=int, default=2020)
    generate.add_argument("--planted", help="also write what was planted (JSON) to this path")
    generate.add_argument("--survey-scale", type=int, default=1,
                          help="multiply the survey responses every trust sends (benchmarks; default 1)")
    return parser


def _print_report(report, settings) -> None:
    print(f"cycles found: {', '.join(map(str, report.cycles)) or 'none'}")
    for cycle, status in report.published.items():
        print(f"  {cycle}: {status}")
    timings = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in report.stage_seconds.items())
    print(f"timings: {timings}")
    print(f"published warehouse: {settings.warehouse}")
    print(f"reports: {settings.reports}")
    print(f"run log: {report.log_path}")
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)


def command_run(args: argparse.Namespace, *, demo_mode: bool = False) -> int:
    from orchestration.pipeline import run_pipeline

    key = os.environ.get("LDIS_PSEUDONYM_KEY")
    if key == DEMO_PSEUDONYM_KEY and not demo_mode:
        print("ldis run refuses the demo pseudonymisation key: set LDIS_PSEUDONYM_KEY to a real secret",
              file=sys.stderr)
        return EXIT_USAGE
    landing = Path(args.landing)
    if not landing.is_dir():
        print(f"landing zone {landing} is not a directory", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    settings = make_settings(args.landing, args.warehouse, args.reports, args.state,
                             pseudonym_key=key, demo_mode=demo_mode, publish_open=args.publish_open,
                             today=args.today, engine=getattr(args, "engine", None))
    report = run_pipeline(settings)
    _print_report(report, settings)
    return EXIT_COULD_NOT_RUN if report.problems else EXIT_OK


def command_generate(args: argparse.Namespace) -> int:
    from orchestration.sample import generate_landing_zone

    planted = generate_landing_zone(Path(args.out), seed=args.seed, survey_scale=getattr(args, "survey_scale", 1))
    if args.planted:
        planted.to_json(Path(args.planted))
    print(f"sample landing zone written to {args.out}")
    return EXIT_OK


def command_demo(args: argparse.Namespace) -> int:
    base = Path(args.dir).resolve()
    if args.fresh:
        shutil.rmtree(base, ignore_errors=True)
    landing = base / "landing"
    if not landing.exists():
        command_generate(argparse.Namespace(out=str(landing), seed=args.seed,
                                            planted=str(base / "planted.json")))
    os.environ["LDIS_PSEUDONYM_KEY"] = DEMO_PSEUDONYM_KEY
    run_args = argparse.Namespace(landing=str(landing), warehouse=str(base / "warehouse.duckdb"),
                                  reports=str(base / "reports"), state=None, publish_open=False, today=None)
    code = command_run(run_args, demo_mode=True)
    if code == EXIT_OK:
        print("\nTry: duckdb -readonly " + str(base / "warehouse.duckdb")
              + " -c \"select * from marts.national_indicators where cycle_year = 2020 limit 10\"")
        print("Or:  LDIS_HOME=" + str(base) + " dagster dev   (the same asset graph in the UI)")
    return code


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"run": command_run, "demo": command_demo, "generate": command_generate}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
