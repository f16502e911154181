"""Commissioner files: each commissioner's providers, their use of restrictive practice and alerts.

Files leave the warehouse, so every count goes through `disclosure.disclose_count` (sub-national
rule) and the rate through `disclosure.disclose_rate` with the RESTRAINT_RATES policy (suppressed
below 100 occupied bed days or when its numerator would be); every cell through `safe_cell`.
One CSV per commissioner and cycle: `reports/commissioners/<commissioner_code>/restrictive_practice_<cycle>.csv`.
No person-level value is in the mart they are read from.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb

from orchestration.lib.disclosure import RESTRAINT_RATES, SUB_NATIONAL, disclose_count, disclose_rate
from orchestration.lib.spreadsheet_safety import safe_row

TEXT_COLUMNS = ("provider_code", "provider_name", "sector", "setting_type", "training_certification")
COUNT_COLUMNS = ("people", "incidents", "interventions", "prone_interventions", "pa01_prone",
                 "pa02_no_authority", "pa03_no_support", "pa04_no_review", "pa05_not_in_care_plan",
                 "pa06_rising_months", "pa07_untrained_months", "pa08_prolonged_isolation")
RATE_COLUMN = "interventions_per_1000_bed_days"


def disclosed_row(row: dict[str, object]) -> list[object]:
    """One provider's line as it may be published."""
    counts = [disclose_count(None if row[c] is None else int(row[c]), SUB_NATIONAL)  # type: ignore[arg-type]
              for c in COUNT_COLUMNS]
    rate = row[RATE_COLUMN]
    shown_rate = disclose_rate(None if rate is None else round(float(rate), 1),  # type: ignore[arg-type]
                               int(row["interventions"]), None, RESTRAINT_RATES,  # type: ignore[arg-type]
                               bed_days=row["occupied_bed_days"])  # type: ignore[arg-type]
    return safe_row([*(row[c] for c in TEXT_COLUMNS), *counts, shown_rate])


def write_commissioner_reports(working_db: Path, reports: Path) -> int:
    """Rewrite the commissioners' folder from the mart; returns the number of files written."""
    target = reports / "commissioners"
    shutil.rmtree(target, ignore_errors=True)
    with duckdb.connect(str(working_db), read_only=True) as con:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                             "and table_name = 'commissioner_restrictive_practice'").fetchall()[0][0]
        if not exists:
            return 0
        cursor = con.execute("select * from marts.commissioner_restrictive_practice "
                             "order by commissioner_code, cycle_year, provider_code")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    files: dict[tuple[str, int], list[list[object]]] = {}
    for row in rows:
        files.setdefault((str(row["commissioner_code"]), int(row["cycle_year"])), []).append(disclosed_row(row))
    for (commissioner, cycle), lines in files.items():
        path = target / commissioner.replace("/", "_") / f"restrictive_practice_{cycle}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([*TEXT_COLUMNS, *COUNT_COLUMNS, RATE_COLUMN])
            writer.writerows(lines)
    return len(files)


FLAG_REPORT_COLUMNS = ("rule_id", "severity", "cycle_year", "item_id", "response_key", "submitted_value",
                       "landing_path", "message")


def write_provider_flag_reports(validated: Path, reports: Path) -> int:
    """Each provider's own incident flags (quarantined rows and warnings), unrounded, to send back:
    `reports/providers/<provider_code>/incident_flags.csv`. A provider sees only its own rows."""
    from orchestration.lib import rawstore

    target = reports / "providers"
    shutil.rmtree(target, ignore_errors=True)
    flags = rawstore.read(validated, "flags")
    flags = flags.filter(flags["rule_id"].str.starts_with("I") & flags["org_code"].is_not_null())
    written = 0
    for (provider,), frame in flags.sort(["org_code", "cycle_year", "rule_id", "flag_id"]).group_by(
            ["org_code"], maintain_order=True):
        path = target / str(provider).replace("/", "_") / "incident_flags.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(FLAG_REPORT_COLUMNS)
            writer.writerows(safe_row(list(row)) for row in frame.select(FLAG_REPORT_COLUMNS).iter_rows())
        written += 1
    return written
