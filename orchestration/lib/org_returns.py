"""The organisational return: ingest (archive + read workbooks) and validate (file rules F01-F06,
then item rules R01-R05 through the GX suites)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.catalogue import Item, items
from orchestration.lib.faults import crash_point
from orchestration.lib.flags import make_flag
from orchestration.lib.gx_runner import run_suite
from orchestration.lib.landing import discover_cycle_files
from orchestration.lib.register import Organisation
from orchestration.lib.timeutil import parse_local_datetime
from orchestration.lib.workbook import read_workbook

FILE_REJECTING_RULES = ("F01", "F02", "F03", "F04")
NOT_APPLICABLE = {"not applicable", "n/a", "na"}
TYPE_GROUP = {"yes_no": "yes_no", "count": "count", "wte": "decimal", "hours": "decimal"}


@dataclass
class IngestSummary:
    files_seen: int = 0
    new_receipts: int = 0
    workbooks_read: int = 0
    unreadable: int = 0
    bad_template: int = 0


def ingest_org_returns(archive: Archive, landing: Path, raw_dir: Path, cycle_year: int) -> IngestSummary:
    """Archive this cycle's workbooks and read each new one (by content) into the raw layer."""
    drop_uncommitted_responses(raw_dir, cycle_year)
    files = discover_cycle_files(landing, cycle_year, "org_returns")
    receipts = archive.receive(files)
    known = rawstore.read(raw_dir, "org_return_files", f"where cycle_year = {int(cycle_year)}")
    seen: set[str] = set(known["file_hash"].to_list())
    summary = IngestSummary(files_seen=len(files), new_receipts=sum(r.new_receipt for r in receipts))
    file_rows: list[dict[str, object]] = []
    response_rows: list[dict[str, object]] = []
    for receipt in sorted(receipts, key=lambda r: r.archive_seq):
        if receipt.file_hash in seen:
            continue  # these bytes were read before (or are a copy: F06 at validation)
        seen.add(receipt.file_hash)
        facts = read_workbook(archive.path_of(receipt.file_hash))
        summary.workbooks_read += 1
        summary.unreadable += facts.parse_status == "unreadable"
        summary.bad_template += facts.parse_status == "bad_template"
        cover = facts.cover
        file_rows.append(
            {
                "file_hash": receipt.file_hash, "cycle_year": cycle_year,
                "landing_path": receipt.file.relative, "archive_seq": receipt.archive_seq,
                "archived_at": receipt.archived_at, "parse_status": facts.parse_status,
                "parse_detail": facts.parse_detail,
                "org_code": (cover.get("org_code") or "").upper() or None,
                "org_name": cover.get("org_name"),
                "collection_year_raw": cover.get("collection_year_raw"),
                "submitted_by": cover.get("submitted_by"),
                "submitted_at": parse_local_datetime(cover.get("submitted_at_raw")),
                "submitted_at_raw": cover.get("submitted_at_raw"),
                "template_version": cover.get("template_version"),
            }
        )
        response_rows.extend(
            {
                "file_hash": receipt.file_hash, "cycle_year": cycle_year, "row_number": row.row_number,
                "item_id": row.item_id, "response_raw": row.response_raw, "comment": row.comment,
            }
            for row in facts.responses
        )
    key = rawstore.batch_key(row["file_hash"] for row in file_rows)  # type: ignore[misc]
    # The files part is the batch's commit: responses first, so a crash in between leaves only an
    # uncommitted responses part, which the next run removes before reading the workbooks again.
    rawstore.append(raw_dir, "org_return_responses",
                    pl.DataFrame(response_rows, schema=rawstore.SCHEMAS["org_return_responses"]),
                    cycle_year, key)
    crash_point("ingest.after_responses")
    rawstore.append(raw_dir, "org_return_files",
                    pl.DataFrame(file_rows, schema=rawstore.SCHEMAS["org_return_files"]), cycle_year, key)
    return summary


def drop_uncommitted_responses(raw_dir: Path, cycle_year: int) -> list[Path]:
    """Remove response parts whose files part (same batch key) was never written (a crash)."""
    committed = {p.name for p in (raw_dir / "org_return_files" / f"cycle={cycle_year}").glob("part-*.parquet")}
    orphans = [p for p in (raw_dir / "org_return_responses" / f"cycle={cycle_year}").glob("part-*.parquet")
               if p.name not in committed]
    for orphan in orphans:
        orphan.unlink()
    return orphans


# ---------------------------------------------------------------- file rules (F01-F06)

@dataclass
class FileJudgement:
    flags: list[dict[str, object]] = field(default_factory=list)
    accepted: list[dict[str, object]] = field(default_factory=list)  # rows of org_return_versions


def _collection_year(raw: str | None) -> int | None:
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else None


def judge_files(
    cycle_year: int,
    files: pl.DataFrame,
    receipts: pl.DataFrame,
    organisations: dict[str, Organisation],
    registered_codes: set[str] | None,
) -> FileJudgement:
    """F01-F05 on each distinct workbook, F06 on each byte-identical copy; the accepted versions.

    `registered_codes` is the set of org codes registered for the org return this cycle, or None
    when the cycle has no participants file (then the register alone decides F03).
    """
    judgement = FileJudgement()
    expected_template = f"LDIS-{cycle_year}"
    for row in files.sort("archive_seq").iter_rows(named=True):
        path, file_hash = row["landing_path"], row["file_hash"]
        code = row["org_code"]
        known_org = code or None  # empty only when the file's organisation cannot be read
        common = {"cycle_year": cycle_year, "file_hash": file_hash, "landing_path": path, "id_extra": file_hash}
        if row["parse_status"] == "unreadable":
            judgement.flags.append(make_flag(org_code=None, rule_id="F01", detail=row["parse_detail"],
                                             submitted_value=row["parse_detail"],
                                             expected="an .xlsx workbook on the template", **common))
            continue
        if row["parse_status"] == "bad_template":
            judgement.flags.append(make_flag(org_code=known_org, rule_id="F02", detail=row["parse_detail"],
                                             submitted_value=row["parse_detail"], **common))
            continue
        problems: list[dict[str, object]] = []
        if row["submitted_at"] is None:
            detail = f"Cover field 'Submitted at' is not an ISO 8601 date-time ('{row['submitted_at_raw'] or ''}')"
            problems.append(make_flag(org_code=known_org, rule_id="F02", detail=detail,
                                      submitted_value=row["submitted_at_raw"], **common))
        registered = code in organisations and (registered_codes is None or code in registered_codes)
        if not registered:
            problems.append(make_flag(org_code=known_org, rule_id="F03", submitted_value=code or "",
                                      expected="a trust registered for the organisational return", **common))
        year = _collection_year(row["collection_year_raw"])
        if year != cycle_year:
            problems.append(make_flag(org_code=known_org, rule_id="F04",
                                      submitted_value=row["collection_year_raw"] or "", expected=str(cycle_year),
                                      **common))
        template = (row["template_version"] or "").strip()
        if template.casefold() != expected_template.casefold():
            problems.append(make_flag(org_code=known_org, rule_id="F05", submitted_value=template,
                                      expected=expected_template, **common))
        judgement.flags.extend(problems)
        if not any(p["rule_id"] in FILE_REJECTING_RULES for p in problems):
            judgement.accepted.append(
                {"file_hash": file_hash, "cycle_year": cycle_year, "org_code": code,
                 "submitted_at": row["submitted_at"], "archive_seq": row["archive_seq"], "landing_path": path}
            )
    judgement.flags.extend(_copies(cycle_year, files, receipts))
    return judgement


def _copies(cycle_year: int, files: pl.DataFrame, receipts: pl.DataFrame) -> list[dict[str, object]]:
    """F06: every receipt of bytes already received under another name (or earlier)."""
    first_path = dict(zip(files["file_hash"].to_list(), files["landing_path"].to_list(), strict=True))
    org_of = dict(zip(files["file_hash"].to_list(), files["org_code"].to_list(), strict=True))
    flags = []
    for row in receipts.sort("archive_seq").iter_rows(named=True):
        original = first_path.get(row["file_hash"])
        if original is None or original == row["landing_path"]:
            continue
        flags.append(make_flag(
            cycle_year=cycle_year, org_code=org_of.get(row["file_hash"]), rule_id="F06",
            file_hash=row["file_hash"], landing_path=row["landing_path"], submitted_value=row["landing_path"],
            expected=original, id_extra=f"{row['file_hash']}|{row['landing_path']}",
        ))
    return flags


# ---------------------------------------------------------------- item rules (R01-R05)

def normalise_response(raw: str | None) -> str | None:
    """Trimmed, lower-case, inner spaces collapsed, typographic apostrophes straightened and the
    synonyms of 'not applicable' unified. Thousands separators stay (the suite's regex checks them)."""
    if raw is None:
        return None
    text = " ".join(raw.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()
    if not text:
        return None
    return "not applicable" if text in NOT_APPLICABLE else text


def prepare_items(
    cycle_year: int,
    versions: list[dict[str, object]],
    responses: pl.DataFrame,
    organisations: dict[str, Organisation],
    catalogue: dict[str, Item] | None = None,
) -> pl.DataFrame:
    """One row per (accepted version, item that applies or was answered), with the columns the
    suite's row conditions use."""
    catalogue = catalogue or items()
    by_file: dict[str, list[dict[str, object]]] = {}
    for row in responses.sort("row_number").iter_rows(named=True):
        by_file.setdefault(row["file_hash"], []).append(row)
    rows: list[dict[str, object]] = []
    for version in versions:
        org = organisations[str(version["org_code"])]
        answers: dict[str, list[tuple[str | None, str | None]]] = {}
        for response in by_file.get(str(version["file_hash"]), []):
            answers.setdefault(response["item_id"], []).append(
                (response["response_raw"], normalise_response(response["response_raw"]))
            )
        wanted = [i for i in catalogue.values() if i.applies(cycle_year, org.provider_type, org.org_type)]
        item_ids = [i.item_id for i in wanted] + sorted(set(answers) - {i.item_id for i in wanted})
        for item_id in item_ids:
            rows.append(_prepared_row(cycle_year, version, org, item_id, answers, catalogue))
    frame = pl.DataFrame(rows, schema=PREPARED_SCHEMA, orient="row") if rows else pl.DataFrame(schema=PREPARED_SCHEMA)
    return frame.with_row_index("row_id")


PREPARED_SCHEMA: dict[str, pl.DataType] = {
    "file_hash": pl.String, "cycle_year": pl.Int32, "org_code": pl.String, "item_id": pl.String,
    "response_type": pl.String, "type_group": pl.String, "response_raw": pl.String,
    "response_norm": pl.String, "applies": pl.Boolean, "follow_on_live": pl.Boolean,
    "must_answer": pl.Boolean, "na_allowed": pl.Boolean, "in_catalogue": pl.Boolean,
    "distinct_responses": pl.Int32,
}


def _prepared_row(cycle_year: int, version: dict[str, object], org: Organisation, item_id: str,
                  answers: dict[str, list[tuple[str | None, str | None]]],
                  catalogue: dict[str, Item]) -> dict[str, object]:
    item = catalogue.get(item_id)
    given = answers.get(item_id, [])
    distinct = sorted({norm for _, norm in given if norm is not None})
    raw_values = [raw for raw, norm in given if norm is not None]
    if len(distinct) > 1:
        response_raw = " | ".join(dict.fromkeys(r for r in raw_values if r))
    else:
        response_raw = raw_values[0] if raw_values else None
    applies = item is not None and item.applies(cycle_year, org.provider_type, org.org_type)
    follow_on_live = True
    if item is not None and item.parent_item:
        parent = answers.get(item.parent_item, [])
        parent_values = {norm for _, norm in parent if norm is not None}
        follow_on_live = parent_values == {"yes"}
    return {
        "file_hash": version["file_hash"], "cycle_year": cycle_year, "org_code": org.org_code,
        "item_id": item_id, "response_type": item.response_type if item else None,
        "type_group": TYPE_GROUP.get(item.response_type) if item else None,
        "response_raw": response_raw, "response_norm": distinct[0] if distinct else None,
        "applies": applies, "follow_on_live": follow_on_live,
        "must_answer": applies and follow_on_live,
        "na_allowed": bool(item and item.not_applicable_allowed), "in_catalogue": item is not None,
        "distinct_responses": len(distinct),
    }


NUMBER = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


def _as_number(norm: str | None) -> float | None:
    if norm is None or not NUMBER.match(norm) or not any(ch.isdigit() for ch in norm):
        return None
    return float(norm.replace(",", ""))


def parts_frame(prepared: pl.DataFrame, part_items: list[str]) -> pl.DataFrame:
    """One row per version, one float column per activity item (null unless a usable number)."""
    usable = prepared.filter(pl.col("must_answer") & pl.col("item_id").is_in(part_items)
                             & (pl.col("distinct_responses") <= 1))
    values = usable.select(
        "file_hash", "item_id",
        pl.col("response_norm").map_elements(_as_number, return_dtype=pl.Float64).alias("value"),
    )
    wide = values.pivot(on="item_id", index="file_hash", values="value") if values.height else \
        pl.DataFrame({"file_hash": prepared["file_hash"].unique()})
    for item_id in part_items:
        if item_id not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(item_id))
    return wide.with_row_index("row_id")


def item_flags(prepared: pl.DataFrame) -> list[dict[str, object]]:
    """Run the org-return suites and turn each failing row into a flag."""
    flags: dict[str, dict[str, object]] = {}
    frame = _to_pandas(prepared)
    for failure in run_suite("org_return", frame):
        for row_id in failure.row_ids:
            row = prepared.row(row_id, named=True)
            flag = make_flag(
                cycle_year=row["cycle_year"], org_code=row["org_code"], rule_id=failure.meta["rule_id"],
                item_id=row["item_id"], file_hash=row["file_hash"], submitted_value=row["response_raw"],
                expected=failure.meta.get("expected"),
                parent_item=(items().get(row["item_id"]).parent_item if row["in_catalogue"] else None),
            )
            flags.setdefault(_version_key(flag), flag)  # one flag per value, even if two checks fail
    part_items = sorted({e["kwargs"][k] for e in _parts_suite()["expectations"] for k in ("column_A", "column_B")})
    wide = parts_frame(prepared, part_items)
    orgs = dict(zip(prepared["file_hash"].to_list(), prepared["org_code"].to_list(), strict=True))
    cycles = dict(zip(prepared["file_hash"].to_list(), prepared["cycle_year"].to_list(), strict=True))
    for failure in run_suite("org_return_parts", _to_pandas(wide)):
        part, whole = failure.meta["item_id"], failure.meta["whole_item"]
        for row_id in failure.row_ids:
            row = wide.row(row_id, named=True)
            flag = make_flag(
                cycle_year=cycles[row["file_hash"]], org_code=orgs[row["file_hash"]], rule_id="R05",
                item_id=part, file_hash=row["file_hash"], submitted_value=_fmt(row[part]),
                expected=f"{whole} ({_fmt(row[whole])})",
            )
            flags.setdefault(_version_key(flag), flag)
    return list(flags.values())


def _version_key(flag: dict[str, object]) -> str:
    return f"{flag['flag_id']}|{flag['file_hash']}"


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _parts_suite() -> dict:
    from orchestration.lib.gx_runner import load_suite

    return load_suite("org_return_parts")


def _to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    # numpy-backed columns: GX's column-pair expectations fail on pyarrow-backed ones (stack facts)
    converted = frame.to_pandas(use_pyarrow_extension_array=False)
    for column in converted.columns:
        if converted[column].dtype == "string" or str(converted[column].dtype) == "str":
            converted[column] = converted[column].astype(object)
    return converted


# ---------------------------------------------------------------- the validate stage for a cycle

@dataclass
class ValidationSummary:
    workbooks: int = 0
    accepted: int = 0
    flags_by_rule: dict[str, int] = field(default_factory=dict)


def validate_org_returns(raw_dir: Path, validated_dir: Path, cycle_year: int,
                         organisations: dict[str, Organisation],
                         participants: pl.DataFrame | None, only_org: str | None = None) -> ValidationSummary:
    """Judge every workbook of the cycle and write versions, prepared items and flags (whole).

    With `only_org` (a trust's resubmission), the item rules run on that trust's versions only and
    every other trust's items and item flags are kept as they were: the item rules look at one value
    at a time, so nothing another trust sends can change them. The file rules still judge the whole
    cycle (a copy is a copy whoever sent it; it costs milliseconds)."""
    where = f"where cycle_year = {int(cycle_year)}"
    files = rawstore.read(raw_dir, "org_return_files", where)
    receipts = rawstore.read(raw_dir, "received_files", f"{where} and source = 'org_return'")
    registered = None
    if participants is not None:
        registered = set(participants.filter(pl.col("registered_org_return"))["org_code"].to_list())
    judgement = judge_files(cycle_year, files, receipts, organisations, registered)
    to_check = [v for v in judgement.accepted if only_org is None or v["org_code"] == only_org]
    hashes = sorted({str(v["file_hash"]) for v in to_check})
    # only the versions checked are read (one trust's, on its refresh), the filter pushed into the scan
    responses = rawstore.read(raw_dir, "org_return_responses",
                              f"{where} and file_hash in ({', '.join(repr(h) for h in hashes) or 'null'})")
    prepared = prepare_items(cycle_year, to_check, responses, organisations)
    flags = judgement.flags + (item_flags(prepared) if prepared.height else [])
    partition = f"cycle={cycle_year}"
    if only_org is not None:
        kept_items, kept_flags = _other_trusts_items(validated_dir, cycle_year, only_org)
        prepared = pl.concat([kept_items, rawstore.conform(prepared, rawstore.VALIDATED_SCHEMAS["org_return_items"])])
        flags += kept_flags
    rawstore.replace_partition(validated_dir, "org_return_versions",
                               pl.DataFrame(judgement.accepted, schema=rawstore.VALIDATED_SCHEMAS["org_return_versions"]),
                               partition)
    crash_point("validate.after_versions")
    rawstore.replace_partition(validated_dir, "org_return_items", prepared, partition)
    rawstore.replace_partition(validated_dir, "flags",
                               pl.DataFrame(flags, schema=rawstore.VALIDATED_SCHEMAS["flags"]),
                               f"source=org_return/{partition}")
    by_rule: dict[str, int] = {}
    for flag in flags:
        by_rule[str(flag["rule_id"])] = by_rule.get(str(flag["rule_id"]), 0) + 1
    return ValidationSummary(workbooks=files.height, accepted=len(judgement.accepted), flags_by_rule=by_rule)


def item_rule_ids() -> set[str]:
    """The rules the item suites raise (their expectations' meta.rule_id), and R05 (parts suite)."""
    from orchestration.lib.gx_runner import load_suite

    return {str(e["meta"]["rule_id"]) for name in ("org_return", "org_return_parts")
            for e in load_suite(name)["expectations"] if "rule_id" in e.get("meta", {})} | {"R05"}


def _other_trusts_items(validated_dir: Path, cycle_year: int,
                        org_code: str) -> tuple[pl.DataFrame, list[dict[str, object]]]:
    """The cycle's validated items and item-rule flags of every trust but `org_code`, as last written."""
    items_path = validated_dir / "org_return_items" / f"cycle={cycle_year}" / "data.parquet"
    flags_path = validated_dir / "flags" / "source=org_return" / f"cycle={cycle_year}" / "data.parquet"
    schema = rawstore.VALIDATED_SCHEMAS["org_return_items"]
    kept = pl.read_parquet(items_path).filter(pl.col("org_code") != org_code) if items_path.exists() else \
        rawstore.empty_frame(schema)
    flags = pl.read_parquet(flags_path) if flags_path.exists() else rawstore.empty_frame(rawstore.VALIDATED_SCHEMAS["flags"])
    kept_flags = flags.filter(pl.col("rule_id").is_in(sorted(item_rule_ids())) & (pl.col("org_code") != org_code))
    return rawstore.conform(kept, schema), kept_flags.to_dicts()
