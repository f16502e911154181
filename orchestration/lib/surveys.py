"""The staff and service-user surveys: ingest (archive + stream each CSV into the raw layer) and
validate (deduplicate, quarantine, cap, answers, routing; rules Q01-Q06 through the GX suites).

Stages, as for the organisational return:
- *ingest* archives every file by content hash, then DuckDB's CSV reader streams the ARCHIVED copy
  (all columns text, header required) into two raw datasets: `survey_rows` (one row per CSV row:
  id, organisation, time as written and as a UTC instant) and `survey_answers` (long: one row per
  non-blank answer). A file that cannot be read is F01; one without the required columns F02.
- *prepare* ranks the rows in SQL: copies of an id, the kept copy, registration, arrival rank in
  the trust.
- *validate* runs the GX suites on the prepared frames; their failures are the Q flags AND the
  decisions (a row failing Q03 is quarantined, Q02 over the cap, Q04 no answer, Q06 ignored).
- the result is written whole per cycle to `validated/survey_responses` (every row received with
  its status), `validated/survey_answers` (answers of the responses that count) and the flags.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive, Receipt
from orchestration.lib.catalogue import read_catalogue
from orchestration.lib.flags import make_flag
from orchestration.lib.gx_runner import ValidationToolError, load_suite, run_suite
from orchestration.lib.landing import discover_cycle_files
from orchestration.lib.org_returns import _to_pandas
from orchestration.lib.register import Organisation


@dataclass(frozen=True)
class SurveySource:
    source: str  # staff_survey | service_user_survey (also the landing sub-folder)
    key_column: str  # response_id | form_id
    stamp_column: str  # submitted_at | scanned_at
    batch_column: str | None  # batch_id (service users)
    registered_column: str  # participants column
    keep_latest: bool  # which copy of an id is kept: the latest scan, or the earliest submission
    questions: tuple[str, ...]

    @property
    def required(self) -> tuple[str, ...]:
        fixed = (self.batch_column,) if self.batch_column else ()
        return (*fixed, self.key_column, "org_code", self.stamp_column, *self.questions)


@cache
def staff_questions() -> dict[str, dict[str, str]]:
    return {row["question_id"]: row for row in read_catalogue("staff_survey_questions")}


@cache
def service_user_questions() -> dict[str, dict[str, str]]:
    return {row["question_id"]: row for row in read_catalogue("service_user_survey_questions")}


@cache
def staff_scales() -> dict[str, dict[str, str]]:
    """scale -> normalised answer -> the answer as the catalogue writes it."""
    scales: dict[str, dict[str, str]] = {}
    for row in read_catalogue("staff_survey_scales"):
        scales.setdefault(row["answer_scale"], {})[normalise_answer(row["answer"])] = row["answer"]
    return scales


@cache
def routing() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Service-user question -> (parent, parent codes) from 'only if SU08 = 1' in the catalogue.
    Other routing notes (SU11's '4 = did not stay in hospital') describe a code, not a skip."""
    found = {}
    for question_id, row in service_user_questions().items():
        words = row["routing"].replace("=", " = ").split()
        if len(words) >= 5 and [w.lower() for w in words[:2]] == ["only", "if"] and words[3] == "=":
            found[question_id] = (words[2].upper(), tuple(words[4].split("|")))
    return found


def sources() -> dict[str, SurveySource]:
    return {
        "staff_survey": SurveySource("staff_survey", "response_id", "submitted_at", None, "registered_staff_survey",
                                     False, tuple(staff_questions())),
        "service_user_survey": SurveySource("service_user_survey", "form_id", "scanned_at", "batch_id",
                                            "registered_service_user_survey", True, tuple(service_user_questions())),
    }


def normalise_answer(text: str | None) -> str | None:
    """Q04's comparison: trimmed, case-insensitive, typographic apostrophes read as '."""
    if text is None:
        return None
    cleaned = text.replace("\u2019", "'").replace("\u2018", "'").strip().casefold()
    return cleaned or None


def normalised(column: pl.Expr) -> pl.Expr:
    """normalise_answer as a vectorised expression (the answers are many)."""
    cleaned = (column.str.replace_all("\u2019", "'", literal=True).str.replace_all("\u2018", "'", literal=True)
               .str.strip_chars().str.to_lowercase())
    return pl.when(cleaned == "").then(pl.lit(None, dtype=pl.String)).otherwise(cleaned)


# ---------------------------------------------------------------- ingest

@dataclass
class IngestSummary:
    files_seen: int = 0
    new_receipts: int = 0
    files_read: int = 0
    rows_read: int = 0
    unreadable: int = 0
    bad_header: int = 0


def _connect(scratch: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("set preserve_insertion_order = true")  # rowid = line order of the file
    scratch.mkdir(parents=True, exist_ok=True)
    con.execute(f"set temp_directory = '{scratch}'")  # a file bigger than memory spills here
    return con


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    described = con.execute(
        "describe select * from read_csv(?, all_varchar = true, header = true, delim = ',')", [str(path)]
    ).fetchall()
    return [row[0] for row in described]


# Naive times are Europe/London; an ambiguous autumn time is its first occurrence, a time in the
# spring gap moves forward (as lib/timeutil.py). DuckDB reads the ambiguous hour as the second
# occurrence, so the earlier instant is taken when it shows the same local time.
STAMP_SQL = """
case
    when {raw} is null then null
    when regexp_matches(trim({raw}), '([zZ]|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')
        then try_cast(upper(trim({raw})) as timestamptz)
    when timezone('Europe/London', timezone('Europe/London', try_cast(trim({raw}) as timestamp)) - interval 1 hour)
        = try_cast(trim({raw}) as timestamp)
        then timezone('Europe/London', try_cast(trim({raw}) as timestamp)) - interval 1 hour
    else timezone('Europe/London', try_cast(trim({raw}) as timestamp))
end"""


def _write_part(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    """COPY a query to a part file of a raw dataset (temporary name, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con.execute(f"copy ({query}) to '{temporary}' (format parquet, compression zstd)")
    os.replace(temporary, target)


def read_survey_file(con: duckdb.DuckDBPyConnection, spec: SurveySource, path: Path, file_hash: str,
                     cycle_year: int, raw_dir: Path) -> tuple[str, str | None, int]:
    """Stream one archived CSV into the raw rows and answers; (parse_status, detail, data rows)."""
    if path.stat().st_size == 0:
        return "unreadable", "the file is empty (0 bytes)", 0
    try:
        header = _header(con, path)
    except duckdb.Error as error:
        return "unreadable", f"not a readable CSV file ({str(error).splitlines()[0][:200]})", 0
    by_name = {name.strip().casefold(): name for name in header}
    missing = [column for column in spec.required if column.casefold() not in by_name]
    if missing:
        return "bad_header", f"missing column(s) {', '.join(missing)}", 0
    column = {wanted: _quote(by_name[wanted.casefold()]) for wanted in spec.required}
    try:
        con.execute("create or replace temp table csv_rows as select * from "
                    "read_csv(?, all_varchar = true, header = true, delim = ',')", [str(path)])
    except duckdb.Error as error:
        return "unreadable", f"not a readable CSV file ({str(error).splitlines()[0][:200]})", 0
    count = con.execute("select count(*) from csv_rows").fetchone()[0]
    key = file_hash[:16]
    partition = raw_dir / "{name}" / f"cycle={cycle_year}" / f"part-{key}.parquet"
    batch = f"nullif(trim({column[spec.batch_column]}), '')" if spec.batch_column else "cast(null as varchar)"
    _write_part(con, f"""
        select '{spec.source}' as source, '{file_hash}' as file_hash, cast({cycle_year} as integer) as cycle_year,
               cast(rowid + 1 as integer) as row_number,
               nullif(trim({column[spec.key_column]}), '') as response_key,
               {column['org_code']} as org_code_raw,
               nullif(upper(trim({column['org_code']})), '') as org_code,
               {column[spec.stamp_column]} as stamp_raw,
               {STAMP_SQL.format(raw=column[spec.stamp_column])} as stamp,
               {batch} as batch_id
        from csv_rows order by rowid""", Path(str(partition).format(name="survey_rows")))
    unpivot_columns = ", ".join(column[q] for q in spec.questions)
    _write_part(con, f"""
        select '{spec.source}' as source, '{file_hash}' as file_hash, cast({cycle_year} as integer) as cycle_year,
               cast(row_id + 1 as integer) as row_number, upper(question_name) as question_id, answer_raw
        from (unpivot (select rowid as row_id, {unpivot_columns} from csv_rows)
              on {unpivot_columns} into name question_name value answer_raw)
        where trim(answer_raw) <> ''
        order by row_id, question_id""", Path(str(partition).format(name="survey_answers")))
    con.execute("drop table csv_rows")
    return "parsed", None, int(count)


def ingest_survey(archive: Archive, landing: Path, raw_dir: Path, cycle_year: int, source: str,
                  scratch: Path) -> IngestSummary:
    """Archive this cycle's files of one survey and stream each new one (by content) into raw."""
    spec = sources()[source]
    files = discover_cycle_files(landing, cycle_year, source)
    receipts = archive.receive(files)
    known = rawstore.read(raw_dir, "survey_files", f"where cycle_year = {int(cycle_year)} and source = '{source}'")
    seen: set[str] = set(known["file_hash"].to_list())
    summary = IngestSummary(files_seen=len(files), new_receipts=sum(r.new_receipt for r in receipts))
    file_rows: list[dict[str, object]] = []
    with _connect(scratch) as con:
        for receipt in sorted(receipts, key=lambda r: r.archive_seq):
            if receipt.file_hash in seen:
                continue  # these bytes were read before (a copy under another name adds nothing)
            seen.add(receipt.file_hash)
            status, detail, count = read_survey_file(con, spec, archive.path_of(receipt.file_hash),
                                                     receipt.file_hash, cycle_year, raw_dir)
            summary.files_read += 1
            summary.rows_read += count
            summary.unreadable += status == "unreadable"
            summary.bad_header += status == "bad_header"
            file_rows.append(_file_row(receipt, source, cycle_year, status, detail, count))
    if file_rows:
        rawstore.append(raw_dir, "survey_files", pl.DataFrame(file_rows, schema=rawstore.SCHEMAS["survey_files"]),
                        cycle_year, rawstore.batch_key(str(row["file_hash"]) for row in file_rows))
    return summary


def _file_row(receipt: Receipt, source: str, cycle_year: int, status: str, detail: str | None,
              count: int) -> dict[str, object]:
    return {"file_hash": receipt.file_hash, "source": source, "cycle_year": cycle_year,
            "landing_path": receipt.file.relative, "archive_seq": receipt.archive_seq,
            "archived_at": receipt.archived_at, "parse_status": status, "parse_detail": detail,
            "data_rows": count}


# ---------------------------------------------------------------- prepare

def prepare_responses(raw_dir: Path, cycle_year: int, spec: SurveySource, registered: set[str],
                      scratch: Path) -> pl.DataFrame:
    """Every row received for the cycle with the columns the responses suite checks:
    copies of its id, whether it is the kept copy, whether its organisation is registered, and its
    arrival rank among the trust's kept, registered responses (ties on the id)."""
    keep_order = ("stamp desc nulls last, archive_seq desc, row_number desc" if spec.keep_latest
                  else "stamp asc nulls last, archive_seq asc, row_number asc")
    codes = sorted(registered)
    with _connect(scratch) as con:
        con.execute("create temp table registered (org_code varchar)")
        if codes:
            con.executemany("insert into registered values (?)", [[code] for code in codes])
        query = f"""
            with files as (
                select file_hash, min(landing_path) as landing_path, min(archive_seq) as archive_seq
                from read_parquet(?, union_by_name = true, hive_partitioning = false)
                where cycle_year = ? and source = ? and parse_status = 'parsed'
                group by file_hash
            ),
            received as (
                select rows.*, files.landing_path, files.archive_seq,
                       -- a row without an id cannot be matched with another: it is its own response
                       coalesce(rows.response_key, 'row:' || rows.file_hash || ':' || cast(rows.row_number as varchar))
                           as identity
                from read_parquet(?, union_by_name = true, hive_partitioning = false) as rows
                inner join files on rows.file_hash = files.file_hash
                where rows.cycle_year = ? and rows.source = ?
            ),
            ranked as (
                select *,
                       count(*) over (partition by identity) as copies,
                       row_number() over (partition by identity order by {keep_order}) = 1 as is_kept_copy,
                       coalesce(org_code in (select org_code from registered), false) as org_registered
                from received
            )
            select ranked.*,
                   case when is_kept_copy and org_registered then row_number() over (
                       partition by org_code, is_kept_copy and org_registered
                       order by stamp asc nulls last, identity asc) end as cap_rank,
                   count(*) filter (where is_kept_copy and org_registered) over (partition by org_code)
                       as trust_received
            from ranked
            order by archive_seq, row_number
        """
        table = con.sql(query, params=[rawstore.glob(raw_dir, "survey_files"), cycle_year, spec.source,
                                       rawstore.glob(raw_dir, "survey_rows"), cycle_year, spec.source]).to_arrow_table()
    table = pl.DataFrame(pl.from_arrow(table))
    return table.with_row_index("row_id")


def prepare_answers(raw_dir: Path, cycle_year: int, spec: SurveySource, counted: pl.DataFrame) -> pl.DataFrame:
    """The answers of the responses that count, one row per (response, question answered), with
    the normalised answer, the question's scale and, for routed questions, whether the parent's
    answer lets it apply."""
    answers = rawstore.read(raw_dir, "survey_answers",
                            f"where cycle_year = {int(cycle_year)} and source = '{spec.source}'")
    joined = answers.join(counted.select("file_hash", "row_number", "identity", "org_code"),
                          on=["file_hash", "row_number"], how="inner")
    joined = joined.with_columns(normalised(pl.col("answer_raw")).alias("answer_norm"))
    if spec.source == "staff_survey":
        scale_of = {q: row["answer_scale"] for q, row in staff_questions().items()}
        joined = joined.with_columns(
            pl.col("question_id").replace_strict(scale_of, default=None, return_dtype=pl.String).alias("answer_scale"),
            pl.lit(False).alias("is_routed"), pl.lit(True).alias("parent_live"),
        )
    else:
        joined = joined.with_columns(pl.lit("codes").alias("answer_scale"))
        joined = _routing_columns(joined)
    return joined.filter(pl.col("question_id").is_in(list(spec.questions))).sort(
        "identity", "question_id").with_row_index("row_id")


def _routing_columns(answers: pl.DataFrame) -> pl.DataFrame:
    """is_routed: the question is asked only after a given parent answer; parent_live: that answer
    (a valid code in the parent set) was given on the same form."""
    rules = routing()
    parents = pl.DataFrame(
        [{"question_id": q, "parent_item": p, "parent_values": list(v)} for q, (p, v) in rules.items()],
        schema={"question_id": pl.String, "parent_item": pl.String, "parent_values": pl.List(pl.String)},
    )
    with_parent = answers.join(parents, on="question_id", how="left")
    parent_answers = answers.select(
        "identity", pl.col("question_id").alias("parent_item"), pl.col("answer_norm").alias("parent_answer"))
    with_parent = with_parent.join(parent_answers, on=["identity", "parent_item"], how="left")
    return with_parent.with_columns(
        pl.col("parent_item").is_not_null().alias("is_routed"),
        (pl.col("parent_item").is_null()
         | pl.col("parent_answer").is_in(pl.col("parent_values")).fill_null(False)).alias("parent_live"),
    ).drop("parent_item", "parent_values", "parent_answer")


# ---------------------------------------------------------------- validate

@dataclass
class SurveyValidation:
    files: int = 0
    rows: int = 0
    counted: int = 0
    flags_by_rule: dict[str, int] = field(default_factory=dict)


def suite_cap(source: str) -> int:
    """The cap is the Q02 expectation's max_value in the responses suite (rules as data)."""
    suite = load_suite(f"{source}_responses")
    return next(int(e["kwargs"]["max_value"]) for e in suite["expectations"] if e["meta"]["rule_id"] == "Q02")


def _failing_rows(suite: str, frame: pl.DataFrame) -> dict[str, set[int]]:
    """rule_id -> row_ids failing it; a failing guard expectation (a broken invariant) raises."""
    found: dict[str, set[int]] = {}
    if frame.height == 0:
        return found
    for failure in run_suite(suite, _to_pandas(frame)):
        if failure.meta.get("guard"):
            raise ValidationToolError(f"{suite}: invariant broken ({failure.meta.get('notes')}), "
                                      f"{len(failure.row_ids)} rows")
        found.setdefault(failure.meta["rule_id"], set()).update(failure.row_ids)
    return found


def _over_cap(responses: pl.DataFrame, trusts_failing: set[int], cap: int) -> set[int]:
    """The suite checks the cap once per trust (a row per excluded response would make GX's result
    as large as the excess); the rows excluded are those of the failing trusts ranked after the cap."""
    codes = responses.filter(pl.col("row_id").is_in(list(trusts_failing)))["org_code"].to_list()
    excluded = responses.filter(pl.col("org_code").is_in(codes) & (pl.col("cap_rank") > cap))
    return set(excluded["row_id"].to_list())


def _file_flags(cycle_year: int, files: pl.DataFrame) -> list[dict[str, object]]:
    flags = []
    for row in files.filter(pl.col("parse_status") != "parsed").iter_rows(named=True):
        rule = "F01" if row["parse_status"] == "unreadable" else "F02"
        flags.append(make_flag(
            cycle_year=cycle_year, org_code=None, rule_id=rule, file_hash=row["file_hash"],
            # keyed on source and bytes: an empty survey file and an empty workbook share a hash but are
            # two faults (the org-return prong keys its file flags on the bytes alone)
            landing_path=row["landing_path"], submitted_value=row["parse_detail"],
            id_extra=f"{row['source']}|{row['file_hash']}",
            detail=row["parse_detail"], expected="a CSV export with the contract's columns",
        ))
    return flags


def _response_flags(cycle_year: int, responses: pl.DataFrame, failing: dict[str, set[int]],
                    cap: int) -> list[dict[str, object]]:
    flags: dict[str, dict[str, object]] = {}
    rows = responses.to_dicts()
    kept = {row["identity"]: row for row in rows if row["is_kept_copy"]}
    for row_id in sorted(failing.get("Q01", set())):
        row = kept[rows[row_id]["identity"]]
        flag = make_flag(cycle_year=cycle_year, org_code=row["org_code"], rule_id="Q01", file_hash=row["file_hash"],
                         landing_path=row["landing_path"], response_key=row["identity"],
                         submitted_value=row["identity"], expected=f"{row['copies']} copies, one kept",
                         id_extra=row["identity"])
        flags.setdefault(str(flag["flag_id"]), flag)
    for rule, value_of, expected in (
        ("Q03", lambda r: r["org_code_raw"], "an organisation registered for this survey"),
        ("Q02", lambda r: str(r["trust_received"]), str(cap)),
    ):
        for row_id in sorted(failing.get(rule, set())):
            row = rows[row_id]
            flag = make_flag(cycle_year=cycle_year, org_code=row["org_code"], rule_id=rule,
                             file_hash=row["file_hash"], landing_path=row["landing_path"],
                             response_key=row["identity"], submitted_value=value_of(row), expected=expected,
                             id_extra=row["identity"])
            flags.setdefault(str(flag["flag_id"]), flag)
    return list(flags.values())


def _answer_flags(cycle_year: int, answers: pl.DataFrame, failing: dict[str, set[int]],
                  expected: dict[str, str]) -> list[dict[str, object]]:
    flags = []
    for rule in ("Q04", "Q06"):
        for row_id in sorted(failing.get(rule, set())):
            row = answers.row(row_id, named=True)
            flags.append(make_flag(
                cycle_year=cycle_year, org_code=row["org_code"], rule_id=rule, item_id=row["question_id"],
                file_hash=row["file_hash"], response_key=row["identity"], submitted_value=row["answer_raw"],
                expected=expected.get(row["question_id"]) if rule == "Q04" else "no answer (question did not apply)",
                id_extra=row["identity"],
            ))
    return flags


def _expected_answers(spec: SurveySource) -> dict[str, str]:
    if spec.source == "staff_survey":
        return {q: " / ".join(staff_scales()[row["answer_scale"]].values()) for q, row in staff_questions().items()}
    codes = " / ".join(row["code"] for row in read_catalogue("service_user_survey_codes"))
    return {q: f"one of the codes {codes}" for q in spec.questions}


def _asked(spec: SurveySource, question_id: str, provider_type: str | None) -> bool:
    if spec.source != "staff_survey":
        return True
    asked_of = staff_questions()[question_id]["asked_of"] or "all"
    return asked_of in ("all", provider_type)


def trust_questions(spec: SurveySource, counted: pl.DataFrame, answers: pl.DataFrame,
                    organisations: dict[str, Organisation]) -> pl.DataFrame:
    """One row per (trust with responses that count, question asked of it): valid responses."""
    valid = answers.filter(pl.col("counts_as_answer")).group_by("org_code", "question_id").len("valid_responses")
    rows = [
        {"org_code": org, "question_id": question}
        for org in sorted(set(counted["org_code"].to_list()))
        for question in spec.questions
        if _asked(spec, question, organisations[org].provider_type if org in organisations else None)
    ]
    grid = pl.DataFrame(rows, schema={"org_code": pl.String, "question_id": pl.String})
    return grid.join(valid, on=["org_code", "question_id"], how="left").with_columns(
        pl.col("valid_responses").fill_null(0).cast(pl.Int64)).with_row_index("row_id")


def validate_survey(raw_dir: Path, validated_dir: Path, cycle_year: int, source: str,
                    organisations: dict[str, Organisation], participants: pl.DataFrame | None,
                    scratch: Path) -> SurveyValidation:
    """Judge every file and response of one survey for the cycle; write responses, answers, flags."""
    spec = sources()[source]
    files = rawstore.read(raw_dir, "survey_files", f"where cycle_year = {int(cycle_year)} and source = '{source}'")
    registered = set(organisations)
    if participants is not None:
        registered &= set(participants.filter(pl.col(spec.registered_column))["org_code"].to_list())
    responses = prepare_responses(raw_dir, cycle_year, spec, registered, scratch)
    cap = suite_cap(source)
    failing = _failing_rows(f"{source}_responses", responses)
    failing["Q02"] = _over_cap(responses, failing.get("Q02", set()), cap)
    excluded = {**{i: "quarantined" for i in failing.get("Q03", set())},
                **{i: "over_cap" for i in failing.get("Q02", set()) - failing.get("Q03", set())}}
    responses = responses.with_columns(
        pl.when(~pl.col("is_kept_copy")).then(pl.lit("duplicate_copy"))
        .otherwise(pl.col("row_id").replace_strict(excluded, default="counted", return_dtype=pl.String))
        .alias("status"))
    counted = responses.filter(pl.col("status") == "counted")
    answers = prepare_answers(raw_dir, cycle_year, spec, counted)
    answer_failing = _failing_rows(f"{source}_answers", answers)
    answers = _screen_answers(spec, answers, answer_failing)
    per_trust = trust_questions(spec, counted, answers, organisations)
    trust_failing = _failing_rows("survey_trust_questions", per_trust)
    flags = (_file_flags(cycle_year, files) + _response_flags(cycle_year, responses, failing, cap)
             + _answer_flags(cycle_year, answers, answer_failing, _expected_answers(spec))
             + _q05_flags(cycle_year, per_trust, trust_failing))
    partition = f"source={source}/cycle={cycle_year}"
    rawstore.replace_partition(validated_dir, "survey_responses", responses.with_columns(
        pl.lit(source).alias("source"), pl.col("identity").alias("response_key")), partition)
    rawstore.replace_partition(validated_dir, "survey_answers", answers.with_columns(
        pl.lit(source).alias("source"), pl.col("identity").alias("response_key")), partition)
    rawstore.replace_partition(validated_dir, "flags", pl.DataFrame(flags, schema=rawstore.VALIDATED_SCHEMAS["flags"]),
                               partition)
    by_rule: dict[str, int] = {}
    for flag in flags:
        by_rule[str(flag["rule_id"])] = by_rule.get(str(flag["rule_id"]), 0) + 1
    return SurveyValidation(files=files.height, rows=responses.height, counted=counted.height, flags_by_rule=by_rule)


def _screen_answers(spec: SurveySource, answers: pl.DataFrame, failing: dict[str, set[int]]) -> pl.DataFrame:
    """answer_value: the catalogue's answer (staff) or code (service users), NULL when the answer is
    invalid (Q04: treated as no answer); routed_out: ignored by routing (Q06); counts_as_answer: a
    valid answer that counts as one (codes 4/8/9 do not) and is not routed out."""
    invalid = failing.get("Q04", set())
    routed_out = failing.get("Q06", set())
    if spec.source == "staff_survey":
        options = pl.DataFrame(
            [{"answer_scale": scale, "answer_norm": norm, "catalogue_answer": answer}
             for scale, found in staff_scales().items() for norm, answer in found.items()],
            schema={"answer_scale": pl.String, "answer_norm": pl.String, "catalogue_answer": pl.String})
        answers = answers.join(options, on=["answer_scale", "answer_norm"], how="left", maintain_order="left")
        value = pl.col("catalogue_answer")
        answer_codes = None
    else:
        value = pl.col("answer_norm")
        answer_codes = [row["code"] for row in read_catalogue("service_user_survey_codes")
                        if row["counts_as_answer"] == "Y"]
    screened = answers.with_columns(
        pl.when(pl.col("row_id").is_in(list(invalid))).then(pl.lit(None, dtype=pl.String)).otherwise(value)
        .alias("answer_value"),
        pl.col("row_id").is_in(list(routed_out)).alias("routed_out"),
    )
    counts = pl.col("answer_value").is_not_null() & ~pl.col("routed_out") & pl.col("parent_live")
    if answer_codes is not None:
        counts = counts & pl.col("answer_value").is_in(answer_codes)
    return screened.with_columns(counts.alias("counts_as_answer"))


def _q05_flags(cycle_year: int, per_trust: pl.DataFrame, failing: dict[str, set[int]]) -> list[dict[str, object]]:
    flags = []
    for row_id in sorted(failing.get("Q05", set())):
        row = per_trust.row(row_id, named=True)
        flags.append(make_flag(cycle_year=cycle_year, org_code=row["org_code"], rule_id="Q05",
                               item_id=row["question_id"], submitted_value=str(row["valid_responses"]),
                               expected="10"))
    return flags
