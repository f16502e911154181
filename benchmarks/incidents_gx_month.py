"""GX month-at-a-time against the DuckDB row rules: is GX (pandas only) affordable per month?

Usage: uv run python benchmarks/incidents_gx_month.py [--scale 72]

Generates scaled feeds, ingests them, then times (a) the SQL validation of the whole feed,
(b) `gx_audit` (the incident_feed suite on a pandas frame) for the busiest month, with peak memory,
(c) the month audit Dagster runs (`audit_months`, every month, GX against SQL, records written) and
(d) `ldis reread-incidents`: the busiest month's parts, then every part, typed again from the archive.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from orchestration.lib import incident_months, incidents, rawstore
    from orchestration.lib.archive import Archive
    from orchestration.sample.incidents_scaled import generate_scaled_incidents
    from orchestration.settings import make_settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=72.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "incidents_gx_month.json"))
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="ldis-gx-"))
    rows = generate_scaled_incidents(base / "landing", args.scale)
    settings = make_settings(base / "landing", base / "w.duckdb", base / "r", base / "state", pseudonym_key="k")
    settings.ensure_dirs()
    rawstore.ensure_datasets(settings.raw_dir, rawstore.SCHEMAS)
    rawstore.ensure_datasets(settings.validated_dir, rawstore.VALIDATED_SCHEMAS)
    archive = Archive(settings.archive_dir, settings.raw_dir)
    providers = incidents.read_providers(settings.landing, archive)
    incidents.ingest_feeds(settings, archive, set(providers["provider_code"].to_list()))
    began = time.perf_counter()
    summary = incidents.validate_feeds(settings, providers, incidents.read_bed_days(settings.landing, archive))
    sql_seconds = time.perf_counter() - began
    with incidents.connect() as con:  # the busiest month of current interventions
        month, month_rows = con.execute(
            f"select month, count(*) from ({incidents.current_rows_sql(settings.raw_dir, settings.validated_dir)}) "
            "group by month order by 2 desc, 1 limit 1").fetchall()[0]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    incident_months.gx_audit(settings, month)  # cold: GX import and context, plus the month's typed rows
    cold_seconds = time.perf_counter() - began
    began = time.perf_counter()
    verdict = incident_months.gx_audit(settings, month)  # warm: what each further month costs
    gx_seconds = time.perf_counter() - began
    began = time.perf_counter()
    audited = incident_months.audit_months(settings, list(incident_months.months_to_audit(settings.validated_dir)))
    audit_seconds = time.perf_counter() - began
    began = time.perf_counter()
    one = incidents.reread_months(settings, [month])
    reread_month_seconds = time.perf_counter() - began
    began = time.perf_counter()
    everything = incidents.reread_months(settings)
    reread_all_seconds = time.perf_counter() - began
    result = {
        "rows": rows, "months": summary.months, "sql_validate_all_months_seconds": round(sql_seconds, 2),
        "busiest_month": month, "busiest_month_rows": month_rows,
        "gx_first_month_cold_seconds": round(cold_seconds, 2),
        "gx_one_month_seconds": round(gx_seconds, 2),
        "note": "gx_audit times include selecting the month's typed rows from the raw layer in DuckDB",
        "gx_all_months_estimate_seconds": round(gx_seconds * summary.months, 1),
        "peak_mib_before_gx": round(before / 1024), "peak_mib_after_gx":
            round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "gx_and_sql_agree": verdict.gx_failed == verdict.sql_failed,
        "audit_every_month": {"months": audited.height, "versions": int(audited["versions"].sum()),
                              "seconds": round(audit_seconds, 1), "months_agreeing": int(audited["agrees"].sum())},
        "reread_busiest_month": {"parts": one.parts, "files": one.files, "rows": one.rows,
                                 "seconds": round(reread_month_seconds, 1)},
        "reread_everything": {"parts": everything.parts, "files": everything.files, "rows": everything.rows,
                              "seconds": round(reread_all_seconds, 1)},
        "peak_mib_at_end": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": "2 cores shared with other engineers",
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
