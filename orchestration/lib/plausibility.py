"""Plausibility rules R06-R10: warnings about values that look wrong, for the trust to check.

R06-R09 run as the GX suite `expectations/plausibility.json` over the dbt model
`int_plausibility_checks_prepared` (peer quartiles without the trust itself, previous cycle's
accepted value). R10 compares the return with the trust's own incident feed through the same suite,
on rows built here from the dbt model `int_incident_r10_totals` (the incident-feed issue's
interface); when that model or the trust's 12 months are absent, R10 is recorded as NOT EVALUATED
(`rule_evaluations`), never as a pass.

These are warnings and info: they never exclude a value from an aggregate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.flags import make_flag
from orchestration.lib.gx_runner import ROW_ID, run_suite

SUITE = "plausibility"
CHECKS_MODEL = "int_plausibility_checks_prepared"
R10_MODEL = "int_incident_r10_totals"
PLAUSIBILITY_RULES = ("R06", "R07", "R08", "R09", "R10")

# incident_feed.md, "Cross-check with the organisational return (rule R10)": return item -> the
# column of int_incident_r10_totals it is compared with.
R10_ITEMS: dict[str, str] = {
    "RI.03": "physical_restraint_incidents",
    "RI.04": "prone_restraint_incidents",
    "RI.05": "rapid_tranquillisation_interventions",
    "RI.06": "mechanical_restraint_interventions",
    "RI.07": "seclusion_interventions",
    "RI.08": "segregation_interventions",
}
R10_MONTHS = 12

FRAME_COLUMNS = [
    "check_kind", "cycle_year", "org_code", "file_hash", "item_id", "measure_id", "response_type",
    "value", "previous_value", "yes_no_value", "previous_yes_no", "peer_count", "peer_q1",
    "peer_median", "peer_q3", "peer_iqr", "lower_fence", "upper_fence", "abs_change", "change_tolerance",
    "incident_value", "incident_difference", "incident_tolerance",
]


@dataclass
class PlausibilityOutcome:
    flags: list[dict[str, object]] = field(default_factory=list)
    evaluations: list[dict[str, object]] = field(default_factory=list)


def number_text(value: float | None) -> str:
    """A value as the trust would recognise it, unrounded (12.0 -> '12', 0.125 -> '0.125')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _short(value: float) -> str:
    return f"{float(value):.4g}"


# ---------------------------------------------------------------- the frame

def read_checks(working_db: Path, cycle_years: Iterable[int], org_code: str | None = None) -> pl.DataFrame:
    """The dbt frame of R06-R09 rows for the given cycles (and only one trust's, if given)."""
    years = sorted({int(c) for c in cycle_years})
    if not years:
        return pl.DataFrame()
    trust = "" if org_code is None else " and org_code = ?"
    with duckdb.connect(str(working_db), read_only=True) as con:
        table = con.sql(
            f"select * from intermediate.{CHECKS_MODEL} where cycle_year in ({', '.join('?' * len(years))}){trust} "
            "order by cycle_year, org_code, check_kind, item_id, measure_id nulls first",
            params=years + ([] if org_code is None else [org_code]),
        ).to_arrow_table()
    return pl.from_arrow(table)  # type: ignore[return-value]


def incident_totals(working_db: Path) -> pl.DataFrame | None:
    """The incident-feed totals model, or None when the warehouse does not have it (yet)."""
    with duckdb.connect(str(working_db), read_only=True) as con:
        found = con.execute(
            "select table_schema from information_schema.tables where table_name = ? order by 1",
            [R10_MODEL],
        ).fetchall()
        if not found:
            return None
        return pl.from_arrow(con.sql(f"select * from {found[0][0]}.{R10_MODEL}").to_arrow_table())  # type: ignore[return-value]


def r10_rows(checks: pl.DataFrame, totals: pl.DataFrame | None,
             cycle_years: Iterable[int]) -> tuple[pl.DataFrame, list[dict[str, object]]]:
    """Rows comparing RI.03-RI.08 with the incident feed, and what could not be evaluated (and why)."""
    evaluations: list[dict[str, object]] = []
    years = sorted({int(c) for c in cycle_years})
    returns = checks.filter((pl.col("check_kind") == "item") & pl.col("item_id").is_in(list(R10_ITEMS))
                            & pl.col("value").is_not_null())
    if totals is None:
        for year in years:
            evaluations.append(_evaluation(year, "R10", None, "not_evaluated",
                                           f"the warehouse has no incident-feed totals ({R10_MODEL} is not built), "
                                           "so returns were not compared with incident feeds"))
        return pl.DataFrame(), evaluations
    totals = totals.with_columns(pl.col("org_code").str.to_uppercase(), pl.col("cycle_year").cast(pl.Int32))
    rows: list[dict[str, object]] = []
    for (year, org), group in returns.group_by(["cycle_year", "org_code"], maintain_order=True):
        feed = totals.filter((pl.col("cycle_year") == year) & (pl.col("org_code") == org))
        months = int(feed["months_covered"].max() or 0) if feed.height else 0
        if months < R10_MONTHS:
            evaluations.append(_evaluation(year, "R10", org, "not_evaluated",
                                           f"incident feed covers {months} of {R10_MONTHS} months of the financial year"))
            continue
        evaluations.append(_evaluation(year, "R10", org, "evaluated", "return compared with the incident feed"))
        feed_row = feed.row(0, named=True)
        for row in group.iter_rows(named=True):
            incident_value = feed_row.get(R10_ITEMS[row["item_id"]])
            if incident_value is None:
                continue
            larger = max(float(row["value"]), float(incident_value))
            rows.append({**{c: row.get(c) for c in FRAME_COLUMNS}, "check_kind": "incident",
                         "incident_value": float(incident_value),
                         "incident_difference": abs(float(row["value"]) - float(incident_value)),
                         "incident_tolerance": max(0.1 * larger, 5.0)})
    for year in years:
        if not any(e["cycle_year"] == year for e in evaluations):
            evaluations.append(_evaluation(year, "R10", None, "not_evaluated",
                                           "no restrictive-intervention counts (RI.03-RI.08) to compare"))
    return pl.DataFrame(rows) if rows else pl.DataFrame(), evaluations


def _evaluation(cycle_year: int, rule_id: str, org_code: str | None, status: str, detail: str) -> dict[str, object]:
    return {"cycle_year": cycle_year, "rule_id": rule_id, "org_code": org_code, "status": status, "detail": detail}


def to_gx_frame(frame: pl.DataFrame) -> pd.DataFrame:
    """All frame columns (missing ones null), numbers as float64, text as object, plus row_id."""
    columns = []
    for name in FRAME_COLUMNS:
        expr = pl.col(name) if name in frame.columns else pl.lit(None)
        text = name in ("check_kind", "org_code", "file_hash", "item_id", "measure_id", "response_type",
                        "yes_no_value", "previous_yes_no")
        columns.append(expr.cast(pl.String if text else pl.Int32 if name == "cycle_year" else pl.Float64).alias(name))
    selected = frame.select(columns) if frame.height else pl.DataFrame(schema={c: pl.Float64 for c in FRAME_COLUMNS})
    pandas = selected.to_pandas(use_pyarrow_extension_array=False)
    for column in pandas.columns:
        if str(pandas[column].dtype) in ("str", "string"):
            pandas[column] = pandas[column].astype(object)
    pandas[ROW_ID] = range(len(pandas))
    return pandas


# ---------------------------------------------------------------- rules -> flags

def plausibility_flags(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Run the suite on the frame and turn each failing row into one flag (one per flag_id)."""
    flags: dict[str, dict[str, object]] = {}
    for failure in run_suite(SUITE, frame):
        rule_id = str(failure.meta["rule_id"])
        for row_id in failure.row_ids:
            row = frame.iloc[row_id].to_dict()
            flag = _flag(rule_id, row)
            flags.setdefault(str(flag["flag_id"]), flag)
    return list(flags.values())


def _flag(rule_id: str, row: dict[str, object]) -> dict[str, object]:
    value = row.get("value")
    if rule_id == "R06":
        measure = str(row["measure_id"])
        own = number_text(value)  # type: ignore[arg-type]
        submitted = own if measure == row["item_id"] else f"{measure} = {own}"
        # a negative lower fence only says "no lower limit": measures are never negative
        low = float(row["lower_fence"])  # type: ignore[arg-type]
        plausible = (f"{_short(low)} to {_short(row['upper_fence'])}" if low > 0  # type: ignore[arg-type]
                     else f"up to {_short(row['upper_fence'])}")  # type: ignore[arg-type]
        expected = (f"{measure} among {int(row['peer_count'])} similar trusts: middle half "  # type: ignore[arg-type]
                    f"{_short(row['peer_q1'])} to {_short(row['peer_q3'])}, median {_short(row['peer_median'])}; "  # type: ignore[arg-type]
                    f"plausible range {plausible}")
    elif rule_id == "R07":
        submitted, expected = number_text(value), number_text(row.get("previous_value"))  # type: ignore[arg-type]
    elif rule_id == "R08":
        submitted, expected = str(row["yes_no_value"]), str(row["previous_yes_no"])
    elif rule_id == "R09":
        previous = row.get("previous_value")
        submitted = number_text(value)  # type: ignore[arg-type]
        has_previous = previous is not None and not (isinstance(previous, float) and math.isnan(previous))
        expected = number_text(previous) if has_previous else "more than 0"  # type: ignore[arg-type]
    elif rule_id == "R10":
        submitted, expected = number_text(value), number_text(row.get("incident_value"))  # type: ignore[arg-type]
    else:
        raise ValueError(f"plausibility suite returned an unknown rule {rule_id}")
    return make_flag(cycle_year=int(row["cycle_year"]), org_code=str(row["org_code"]), rule_id=rule_id,  # type: ignore[arg-type]
                     item_id=str(row["item_id"]), file_hash=str(row["file_hash"]),
                     submitted_value=submitted, expected=expected)


def evaluate(checks: pl.DataFrame, totals: pl.DataFrame | None, cycle_years: Iterable[int]) -> PlausibilityOutcome:
    """R06-R10 on the dbt frame (and the incident totals, when the warehouse has them)."""
    years = sorted({int(c) for c in cycle_years})
    incident, evaluations = r10_rows(checks, totals, years)
    frame = pl.concat([checks, incident], how="diagonal_relaxed") if incident.height else checks
    outcome = PlausibilityOutcome(flags=plausibility_flags(to_gx_frame(frame)), evaluations=evaluations)
    for year in years:
        for rule_id in ("R06", "R07", "R08", "R09"):
            outcome.evaluations.append(_evaluation(year, rule_id, None, "evaluated",
                                                   "current returns checked (expectations/plausibility.json)"))
    return outcome


# ---------------------------------------------------------------- the validated datasets

def write_cycle(validated_dir: Path, cycle_year: int, flags: list[dict[str, object]],
                evaluations: list[dict[str, object]], current_hashes: set[str],
                only_org: str | None = None) -> pl.DataFrame:
    """Replace the cycle's plausibility flags, keeping earlier occurrences raised on versions that are
    no longer current: that history is what lets a resubmission resolve them
    (`resolved_by_resubmission`) instead of making them vanish. With `only_org`, `flags` and
    `evaluations` are that trust's and every other trust's rows are kept as they were."""
    partition = f"source=plausibility/cycle={cycle_year}"
    schema = rawstore.VALIDATED_SCHEMAS["flags"]
    previous_path = validated_dir / "flags" / partition / "data.parquet"
    new = pl.DataFrame(flags, schema=schema) if flags else rawstore.empty_frame(schema)
    if previous_path.exists():
        earlier = pl.read_parquet(previous_path)
        if only_org is not None:
            new = pl.concat([new, rawstore.conform(earlier.filter(pl.col("org_code") != only_org), schema)])
            earlier = earlier.filter(pl.col("org_code") == only_org)
        earlier = earlier.filter(~pl.col("file_hash").is_in(sorted(current_hashes)))
        new_keys = set(zip(new["flag_id"].to_list(), new["file_hash"].to_list(), strict=True))
        keep = [key not in new_keys for key in zip(earlier["flag_id"].to_list(), earlier["file_hash"].to_list(),
                                                    strict=True)]
        new = pl.concat([new, rawstore.conform(earlier.filter(pl.Series(keep, dtype=pl.Boolean)), schema)])
    new = new.sort(["org_code", "rule_id", "item_id", "file_hash"], nulls_last=True)
    rawstore.replace_partition(validated_dir, "flags", new, partition)
    evaluation_schema = rawstore.VALIDATED_SCHEMAS["rule_evaluations"]
    evaluated = pl.DataFrame([e for e in evaluations if e["cycle_year"] == cycle_year], schema=evaluation_schema)
    evaluations_path = validated_dir / "rule_evaluations" / f"cycle={cycle_year}" / "data.parquet"
    if only_org is not None and evaluations_path.exists():
        evaluated = pl.concat([
            rawstore.conform(pl.read_parquet(evaluations_path).filter(pl.col("org_code").ne_missing(only_org)),
                             evaluation_schema),
            evaluated.filter(pl.col("org_code") == only_org),
        ])
    rawstore.replace_partition(validated_dir, "rule_evaluations", evaluated, f"cycle={cycle_year}")
    return new


def current_version_hashes(working_db: Path, cycle_year: int) -> set[str]:
    with duckdb.connect(str(working_db), read_only=True) as con:
        rows = con.execute("select file_hash from intermediate.int_org_return_versions_ranked "
                           "where cycle_year = ? and is_current", [cycle_year]).fetchall()
    return {row[0] for row in rows}
