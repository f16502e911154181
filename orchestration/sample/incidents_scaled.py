"""Incident feeds at benchmark volume, written by DuckDB (`COPY ... TO csv`), not Python loops.

`generate_scaled_incidents(root, scale)` writes the sample's provider register and about
14,000 x `scale` intervention rows (scale 715 gives ~10 million) as one CSV per provider and
financial year under `incidents/<provider_code>/`, plus `bed_days.csv` for inpatient and
residential providers. Values are derived from the row number by hashing, so the output is the
same on every run. Each provider also sends `amendments.csv`: 1% of its last year's rows again, a
day later, with a new end (the latest version wins). Otherwise clean rows: the I rules are
exercised by the sample and the tests.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from orchestration.sample.incidents import FEED_COLUMNS, build_providers
from orchestration.sample.register import build_register

BASE_ROWS = 14_000  # about the rows of the default sample (13,786)
YEARS = (2017, 2018, 2019, 2020)
AMEND_EVERY = 100  # one row in a hundred of the last year is amended  # financial years starting April of these years
PHYSICAL = ["07", "09", "10", "11", "13", "08", "14", "16", "05", "06", "04", "01"]
CARE = ["07", "11", "13", "16", "X1", "X2", "X3", "X4"]


def _feed_sql(provider: str, types: list[str], rows: int, year: int, where: str = "true") -> str:
    # two interventions per incident (seq 1 and 2); ~400 people per provider; starts spread over the year
    type_list = ", ".join(f"'{t}'" for t in types)
    seconds = 365 * 24 * 3600
    select = {
        "incident_id": f"'{provider}-{year}-' || cast(i // 2 as varchar)",
        "intervention_seq": "cast(i % 2 + 1 as varchar)",
        "record_updated_at": "strftime(s + to_minutes(m) + interval 2 hour, '%Y-%m-%dT%H:%M:%S')",
        "person_ref": f"'RAWREF-{provider}-' || cast(hash(i // 2, 'p') % 400 as varchar)",
        "site_code": f"'{provider}-W' || cast(hash(i, 'w') % 3 as varchar)",
        "start_at": "strftime(s, '%Y-%m-%dT%H:%M:%S')",
        "end_at": "case when hash(i, 'open') % 25 = 0 then '' else strftime(s + to_minutes(m), '%Y-%m-%dT%H:%M:%S') end",
        "intervention_type": f"[{type_list}][cast(1 + hash(i, 't') % {len(types)} as bigint)]",
        "reason": "['10', '11', '12', '17', '98'][cast(1 + hash(i, 'r') % 5 as bigint)]",
        "authority": "['MHA', 'MCA', 'DOLS', 'COMMON_LAW', 'NONE'][cast(1 + hash(i, 'a') % 5 as bigint)]",
        "in_care_plan": "case when hash(i, 'c') % 5 = 0 then 'N' else 'Y' end",
        "deescalation_attempted": "'Y'", "staff_involved": "'3'", "learning_disability": "'Y'",
        "autistic": "'U'", "age_band": "'25-34'", "gender": "'1'", "ethnic_group": "'A'",
        "injury_person": "'N'", "injury_staff": "'N'", "injury_other": "'N'", "death_or_serious_injury": "'N'",
        "police_involved": "'N'", "body_worn_camera": "''",
        "post_incident_support": "case when hash(i, 's') % 7 = 0 then 'N' else 'Y' end",
        "post_incident_review": "case when hash(i, 'v') % 6 = 0 then 'N' else 'Y' end",
        "care_plan_reviewed": "'Y'",
    }
    columns = ", ".join(f"{select[c]} as {c}" for c in FEED_COLUMNS)
    return f"""
        select {columns}
        from (
            select i,
                timestamp '{year}-04-01 00:00:00' + to_seconds(cast(hash(i // 2, 's') % {seconds} as bigint)
                    + (i % 2) * 600) as s,
                cast(2 + hash(i, 'm') % 60 as bigint) as m
            from range({rows}) as t(i)
            where {where}
        )
    """


def _per_file(providers: list, scale: float) -> int:
    return max(2, int(BASE_ROWS * scale / (len(providers) * len(YEARS))) // 2 * 2)


def _write_amendments(con: duckdb.DuckDBPyConnection, target: Path, provider: str, types: list[str],
                      per_file: int, shift: int) -> int:
    """1% of the last year's rows (row numbers = shift modulo 100) sent again a day later, each now
    lasting 30 minutes; returns the rows written."""
    amended = _feed_sql(provider, types, per_file, YEARS[-1], f"i % {AMEND_EVERY} = {shift}")
    con.execute(f"""copy (select * replace (
                              strftime(cast(record_updated_at as timestamp) + interval 1 day,
                                       '%Y-%m-%dT%H:%M:%S') as record_updated_at,
                              strftime(cast(start_at as timestamp) + interval 30 minute,
                                       '%Y-%m-%dT%H:%M:%S') as end_at)
                          from ({amended}))
                    to '{target}' (header true)""").fetchall()
    return len(range(shift, per_file, AMEND_EVERY))


def write_amendment_round(root: Path, scale: float, name: str, shift: int) -> int:
    """A further round of amendments from every provider (`incidents/<code>/<name>`), as the next
    month's run would receive them; returns the rows written."""
    providers = build_providers(build_register())
    total = 0
    with duckdb.connect() as con:
        for provider in providers:
            types = PHYSICAL if provider.sector == "nhs" else CARE
            total += _write_amendments(con, root / "incidents" / provider.provider_code / name,
                                       provider.provider_code, types, _per_file(providers, scale), shift)
    return total


def generate_scaled_incidents(root: Path, scale: float) -> int:
    """Write the scaled feeds; returns the number of intervention rows written."""
    providers = build_providers(build_register())
    (root / "register").mkdir(parents=True, exist_ok=True)
    with (root / "register" / "providers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["provider_code", "provider_name", "sector", "setting_type", "commissioner_code",
                         "org_code", "training_certification"])
        writer.writerows(p.csv_row() for p in providers)
    per_file = _per_file(providers, scale)
    total = 0
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'").fetchall()
        for provider in providers:
            folder = root / "incidents" / provider.provider_code
            folder.mkdir(parents=True, exist_ok=True)
            types = PHYSICAL if provider.sector == "nhs" else CARE
            for year in YEARS:
                target = folder / f"{year}-{year + 1}.csv"
                con.execute(f"copy ({_feed_sql(provider.provider_code, types, per_file, year)}) "
                            f"to '{target}' (header true)").fetchall()
                total += per_file
            total += _write_amendments(con, folder / "amendments.csv", provider.provider_code, types, per_file, 0)
            if provider.has_bed_days:
                con.execute(f"""copy (select strftime(timestamp '2017-04-01' + to_months(cast(n as integer)), '%Y-%m')
                                         as month, 30000 as occupied_bed_days from range(48) as t(n))
                                to '{folder / "bed_days.csv"}' (header true)""").fetchall()
    return total
