"""Survey rules Q01-Q06 and the survey file rules, each on a small hand-made file: the flag is
raised, and the response is excluded, kept once, or its answer treated as no answer, as the rule
says."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from orchestration.lib import rawstore
from orchestration.lib.archive import Archive
from orchestration.lib.catalogue import read_catalogue
from orchestration.lib.flags import flag_id
from orchestration.lib.gx_runner import load_suite
from orchestration.lib.register import (
    current_organisations,
    current_participants,
    ingest_participants,
    ingest_register,
)
from orchestration.lib.surveys import ingest_survey, suite_cap, validate_survey
from tests.landing import ORGANISATIONS

STAFF_QUESTIONS = [f"ST{n:02d}" for n in range(1, 16)]
SU_QUESTIONS = [f"SU{n:02d}" for n in range(1, 12)]
STAFF_HEADER = ["response_id", "org_code", "submitted_at", *STAFF_QUESTIONS]
SU_HEADER = ["batch_id", "form_id", "org_code", "scanned_at", *SU_QUESTIONS]
UTC = dt.UTC


def write_zone(landing: Path, participants: list[tuple[str, str, str, str]] | None = None) -> None:
    """The test register; RXA and RXS registered for both surveys, RXB for the return only."""
    (landing / "register").mkdir(parents=True, exist_ok=True)
    lines = ["org_code,org_name,provider_type,org_type,region"] + [",".join(o) for o in ORGANISATIONS]
    (landing / "register" / "organisations.csv").write_text("\n".join(lines) + "\n")
    rows = participants or [("RXA", "Y", "Y", "Y"), ("RXS", "Y", "Y", "Y"), ("RXB", "Y", "N", "N")]
    (landing / "2020").mkdir(parents=True, exist_ok=True)
    text = "org_code,registered_org_return,registered_staff_survey,registered_service_user_survey\n"
    text += "".join(",".join(row) + "\n" for row in rows)
    (landing / "2020" / "participants.csv").write_text(text)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def staff_row(response_id: str, org: str, at: str, **answers: str) -> list[str]:
    default = {q: "Agree" for q in STAFF_QUESTIONS[:12]}
    default.update({"ST03": "Yes", "ST08": "Yes", "ST11": "Yes", "ST12": "Yes"})
    default.update(answers)
    return [response_id, org, at, *(default.get(q, "") for q in STAFF_QUESTIONS)]


def su_row(form_id: str, org: str, at: str, batch: str = "B1", **answers: str) -> list[str]:
    default = {q: "1" for q in SU_QUESTIONS}
    default.update({"SU08": "2", "SU09": "4"})
    default.update(answers)
    return [batch, form_id, org, at, *(default[q] for q in SU_QUESTIONS)]


class Result:
    def __init__(self, state: Path, source: str) -> None:
        where = f"where cycle_year = 2020 and source = '{source}'"
        self.responses = rawstore.read(state / "validated", "survey_responses", where)
        self.answers = rawstore.read(state / "validated", "survey_answers", where)
        self.flags = rawstore.read(state / "validated", "flags", "where cycle_year = 2020").filter(
            pl.col("rule_id").str.starts_with("Q") | pl.col("rule_id").str.starts_with("F"))

    def status(self, key: str) -> list[str]:
        return sorted(self.responses.filter(pl.col("response_key") == key)["status"].to_list())

    def rules(self, rule: str) -> pl.DataFrame:
        return self.flags.filter(pl.col("rule_id") == rule)

    def answer(self, key: str, question: str) -> dict[str, object]:
        return self.answers.filter((pl.col("response_key") == key) & (pl.col("question_id") == question)).row(
            0, named=True)


def run(landing: Path, state: Path, source: str) -> Result:
    raw, validated = state / "raw", state / "validated"
    rawstore.ensure_datasets(raw, rawstore.SCHEMAS)
    rawstore.ensure_datasets(validated, rawstore.VALIDATED_SCHEMAS)
    archive = Archive(state / "archive", raw)
    ingest_register(archive, landing, raw, validated)
    ingest_participants(archive, landing, 2020, raw, validated)
    ingest_survey(archive, landing, raw, 2020, source, state / "scratch")
    validate_survey(raw, validated, 2020, source, current_organisations(validated),
                    current_participants(validated, 2020), state / "scratch")
    return Result(state, source)


@pytest.fixture
def zone(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    write_zone(landing)
    return landing


# ---------------------------------------------------------------- Q01 duplicates


def test_q01_staff_copy_with_the_earliest_submitted_at_is_kept_once(zone: Path, tmp_path: Path) -> None:
    folder = zone / "2020" / "staff_survey"
    write_csv(folder / "export_1.csv", STAFF_HEADER, [staff_row("R_1", "RXA", "2020-12-02 10:00:00", ST01="Agree")])
    write_csv(folder / "export_2.csv", STAFF_HEADER, [staff_row("R_1", "RXA", "2020-12-01 09:00:00", ST01="Disagree"),
                                                      staff_row("R_2", "RXA", "2020-12-01 09:30:00")])
    result = run(zone, tmp_path / "state", "staff_survey")
    assert result.status("R_1") == ["counted", "duplicate_copy"]
    kept = result.responses.filter((pl.col("response_key") == "R_1") & (pl.col("status") == "counted"))
    assert kept["landing_path"].to_list() == ["2020/staff_survey/export_2.csv"]
    assert result.answer("R_1", "ST01")["answer_value"] == "Disagree"
    assert result.answers.filter(pl.col("question_id") == "ST01").height == 2  # R_1 once, R_2
    q01 = result.rules("Q01")
    assert q01["flag_id"].to_list() == [flag_id(2020, "RXA", "Q01", None, "R_1")]
    assert q01["message"].to_list() == ["Duplicate response R_1 received; one copy kept."]


def test_q01_service_user_rescan_latest_scan_is_kept(zone: Path, tmp_path: Path) -> None:
    folder = zone / "2020" / "service_user_survey"
    write_csv(folder / "batch_2.csv", SU_HEADER, [su_row("F1", "RXA", "2020-12-05T11:00:00", "B2", SU01="1")])
    write_csv(folder / "batch_1.csv", SU_HEADER, [su_row("F1", "RXA", "2020-12-01T11:00:00", "B1", SU01="8")])
    result = run(zone, tmp_path / "state", "service_user_survey")
    assert result.status("F1") == ["counted", "duplicate_copy"]
    assert result.answer("F1", "SU01")["answer_value"] == "1"
    assert result.rules("Q01")["flag_id"].to_list() == [flag_id(2020, "RXA", "Q01", None, "F1")]


# ---------------------------------------------------------------- Q02 caps


def test_q02_staff_cap_keeps_the_earliest_50_and_breaks_ties_on_response_id(zone: Path, tmp_path: Path) -> None:
    start = dt.datetime(2020, 12, 1, 9, 0, 0)
    rows = [staff_row(f"R_{n:03d}", "RXA", (start + dt.timedelta(minutes=n)).isoformat(sep=" ")) for n in range(49)]
    tied = (start + dt.timedelta(hours=5)).isoformat(sep=" ")
    # the 50th and 51st arrive in the same second; R_ZZZ is written first, R_AAA has the lower id
    rows += [staff_row("R_ZZZ", "RXA", tied), staff_row("R_AAA", "RXA", tied)]
    rows.append(staff_row("R_LATE", "RXA", (start + dt.timedelta(days=3)).isoformat(sep=" ")))
    rows.append(staff_row("R_OTHER", "RXS", (start + dt.timedelta(days=4)).isoformat(sep=" ")))
    write_csv(zone / "2020" / "staff_survey" / "export.csv", STAFF_HEADER, rows)
    result = run(zone, tmp_path / "state", "staff_survey")
    counted = result.responses.filter(pl.col("status") == "counted")
    assert counted.filter(pl.col("org_code") == "RXA").height == 50
    assert result.status("R_AAA") == ["counted"]
    assert result.status("R_ZZZ") == ["over_cap"] and result.status("R_LATE") == ["over_cap"]
    assert result.status("R_OTHER") == ["counted"]  # another trust is not affected
    q02 = result.rules("Q02").sort("response_key")
    assert q02["response_key"].to_list() == ["R_LATE", "R_ZZZ"]
    assert q02["submitted_value"].to_list() == ["52", "52"] and q02["expected"].to_list() == ["50", "50"]
    assert q02["message"][0] == "52 responses received; only the first 50 count."
    # excluded responses are kept, not dropped, and their answers do not count
    assert result.responses.height == 53
    assert set(result.answers["response_key"].to_list()).isdisjoint({"R_ZZZ", "R_LATE"})


def test_q02_service_user_cap_is_100_forms_by_scan_time(zone: Path, tmp_path: Path) -> None:
    assert suite_cap("service_user_survey") == 100 and suite_cap("staff_survey") == 50
    start = dt.datetime(2020, 12, 1, 9, 0, 0)
    rows = [su_row(f"F{n:04d}", "RXS", (start + dt.timedelta(minutes=n)).isoformat()) for n in range(102)]
    rows.reverse()  # file order does not matter, scan time does
    write_csv(zone / "2020" / "service_user_survey" / "batch.csv", SU_HEADER, rows)
    result = run(zone, tmp_path / "state", "service_user_survey")
    assert result.responses.filter(pl.col("status") == "counted").height == 100
    assert sorted(result.rules("Q02")["response_key"].to_list()) == ["F0100", "F0101"]


# ---------------------------------------------------------------- Q03 quarantine


def test_q03_responses_for_unregistered_organisations_are_quarantined_and_kept(zone: Path, tmp_path: Path) -> None:
    rows = [staff_row("R_OK", "rxa ", "2020-12-01 09:00"),  # code read trimmed, upper case
            staff_row("R_NOTSURVEY", "RXB", "2020-12-01 09:05"),  # registered for the return only
            staff_row("R_NOTPART", "RXN", "2020-12-01 09:10"),  # in the register, not a participant
            staff_row("R_UNKNOWN", "7A1", "2020-12-01 09:15"),  # in no register
            staff_row("R_BLANK", "", "2020-12-01 09:20")]
    write_csv(zone / "2020" / "staff_survey" / "export.csv", STAFF_HEADER, rows)
    result = run(zone, tmp_path / "state", "staff_survey")
    assert result.status("R_OK") == ["counted"]
    for key in ("R_NOTSURVEY", "R_NOTPART", "R_UNKNOWN", "R_BLANK"):
        assert result.status(key) == ["quarantined"], key
    q03 = result.rules("Q03")
    assert sorted(q03["response_key"].to_list()) == ["R_BLANK", "R_NOTPART", "R_NOTSURVEY", "R_UNKNOWN"]
    unknown = q03.filter(pl.col("response_key") == "R_UNKNOWN").row(0, named=True)
    assert unknown["flag_id"] == flag_id(2020, "7A1", "Q03", None, "R_UNKNOWN")
    assert unknown["severity"] == "error"
    assert unknown["message"] == "Responses for unregistered organisation 7A1 were set aside."
    assert set(result.answers["response_key"].to_list()) == {"R_OK"}


# ---------------------------------------------------------------- Q04 invalid answers


def test_q04_invalid_staff_answers_are_no_answer_and_the_response_still_counts(zone: Path, tmp_path: Path) -> None:
    rows = [staff_row("R_1", "RXA", "2020-12-01 09:00", ST01="5", ST02="Yes", ST03="Y",
                      ST04=" strongly AGREE ", ST05="Don\u2019t know", ST06="don't know")]
    write_csv(zone / "2020" / "staff_survey" / "export.csv", STAFF_HEADER, rows)
    result = run(zone, tmp_path / "state", "staff_survey")
    assert result.status("R_1") == ["counted"]
    q04 = result.rules("Q04").sort("item_id")
    assert q04["item_id"].to_list() == ["ST01", "ST02", "ST03"]
    assert q04["submitted_value"].to_list() == ["5", "Yes", "Y"]
    assert q04["flag_id"][0] == flag_id(2020, "RXA", "Q04", "ST01", "R_1")
    assert q04["message"][0] == "Question ST01: '5' is not a valid answer."
    for question in ("ST01", "ST02", "ST03"):
        answer = result.answer("R_1", question)
        assert answer["answer_value"] is None and answer["counts_as_answer"] is False
    # harmless variants parse silently to the catalogue's answer
    assert result.answer("R_1", "ST04")["answer_value"] == "Strongly agree"
    assert result.answer("R_1", "ST05")["answer_value"] == "Don't know"
    assert result.answer("R_1", "ST06")["answer_value"] == "Don't know"


def test_q04_invalid_service_user_codes(zone: Path, tmp_path: Path) -> None:
    rows = [su_row("F1", "RXA", "2020-12-01T09:00", SU01="7", SU02=" 1", SU03="X", SU04="9")]
    write_csv(zone / "2020" / "service_user_survey" / "batch.csv", SU_HEADER, rows)
    result = run(zone, tmp_path / "state", "service_user_survey")
    assert sorted(result.rules("Q04")["item_id"].to_list()) == ["SU01", "SU03"]
    assert result.answer("F1", "SU01")["answer_value"] is None
    assert result.answer("F1", "SU02")["answer_value"] == "1"
    assert result.answer("F1", "SU04")["counts_as_answer"] is False  # 9 = no answer: not flagged, not counted
    assert result.status("F1") == ["counted"]


# ---------------------------------------------------------------- Q05 fewer than 10


def test_q05_fewer_than_10_valid_responses_per_trust_and_question(zone: Path, tmp_path: Path) -> None:
    rows = [staff_row(f"R_A{n}", "RXA", f"2020-12-01 09:{n:02d}") for n in range(12)]
    rows[0][3] = ""  # RXA: ST01 answered by 11 only; still >= 10
    for row in rows[:3]:
        row[4] = "Maybe"  # ST02: 9 valid answers -> Q05
    rows += [staff_row(f"R_S{n}", "RXS", f"2020-12-02 09:{n:02d}") for n in range(3)]
    write_csv(zone / "2020" / "staff_survey" / "export.csv", STAFF_HEADER, rows)
    result = run(zone, tmp_path / "state", "staff_survey")
    q05 = result.rules("Q05")
    rxa = q05.filter(pl.col("org_code") == "RXA")
    assert rxa["item_id"].to_list() == ["ST02"] and rxa["submitted_value"].to_list() == ["9"]
    assert rxa["flag_id"][0] == flag_id(2020, "RXA", "Q05", "ST02", None)
    assert rxa["severity"][0] == "info"
    # RXS (specialist) is asked all 15 questions and has 3 responses
    assert sorted(q05.filter(pl.col("org_code") == "RXS")["item_id"].to_list()) == STAFF_QUESTIONS
    # RXA is universal: ST13-ST15 are not asked of it, so no Q05 there
    assert not set(rxa["item_id"].to_list()) & {"ST13", "ST14", "ST15"}


# ---------------------------------------------------------------- Q06 routing


def test_q06_su09_answered_without_su08_yes_is_ignored(zone: Path, tmp_path: Path) -> None:
    rows = [su_row("F_ROUTED", "RXA", "2020-12-01T09:00", SU08="2", SU09="2"),
            su_row("F_SKIPPED", "RXA", "2020-12-01T09:05", SU08="2", SU09="4"),
            su_row("F_LIVE", "RXA", "2020-12-01T09:10", SU08="1", SU09="1"),
            su_row("F_INVALIDPARENT", "RXA", "2020-12-01T09:15", SU08="7", SU09="3")]
    write_csv(zone / "2020" / "service_user_survey" / "batch.csv", SU_HEADER, rows)
    result = run(zone, tmp_path / "state", "service_user_survey")
    q06 = result.rules("Q06")
    assert sorted(q06["response_key"].to_list()) == ["F_INVALIDPARENT", "F_ROUTED"]
    assert q06.filter(pl.col("response_key") == "F_ROUTED")["flag_id"].to_list() == [
        flag_id(2020, "RXA", "Q06", "SU09", "F_ROUTED")]
    routed = result.answer("F_ROUTED", "SU09")
    assert routed["routed_out"] is True and routed["counts_as_answer"] is False
    assert result.answer("F_LIVE", "SU09")["counts_as_answer"] is True
    assert result.answer("F_SKIPPED", "SU09")["routed_out"] is False
    assert result.status("F_ROUTED") == ["counted"]  # the form counts; only the answer is ignored


# ---------------------------------------------------------------- file rules, times, re-runs


def test_file_without_the_required_columns_is_f02_and_unreadable_is_f01(zone: Path, tmp_path: Path) -> None:
    folder = zone / "2020" / "staff_survey"
    write_csv(folder / "summary.csv", ["question", "agree"], [["ST01", "10"]])
    header = [h for h in STAFF_HEADER if h != "ST07"]
    write_csv(folder / "no_st07.csv", header, [staff_row("R_X", "RXA", "2020-12-01 09:00")[:9] + ["Agree"] * 8])
    (folder / "empty.csv").write_bytes(b"")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    write_csv(folder / "good.csv", [h.upper() + " " for h in STAFF_HEADER], [staff_row("R_G", "RXA", "2020-12-01")])
    result = run(zone, tmp_path / "state", "staff_survey")
    by_file = {row["landing_path"]: row for row in result.flags.filter(pl.col("rule_id").str.starts_with("F"))
               .iter_rows(named=True)}
    assert by_file["2020/staff_survey/summary.csv"]["rule_id"] == "F02"
    assert by_file["2020/staff_survey/no_st07.csv"]["rule_id"] == "F02"
    assert "missing column(s) ST07" in by_file["2020/staff_survey/no_st07.csv"]["message"]
    assert "(file: 2020/staff_survey/no_st07.csv)" in by_file["2020/staff_survey/no_st07.csv"]["message"]
    assert by_file["2020/staff_survey/empty.csv"]["rule_id"] == "F01"
    assert by_file["2020/staff_survey/binary.csv"]["rule_id"] == "F01"
    assert all(row["org_code"] is None for row in by_file.values())
    assert len(by_file) == 4
    assert result.status("R_G") == ["counted"]  # headers are matched trimmed and case-insensitively


def test_times_are_europe_london_and_reingest_reads_nothing_new(zone: Path, tmp_path: Path) -> None:
    rows = [staff_row("R_GMT", "RXA", "2020-12-01 09:00:00"),
            staff_row("R_AMBIGUOUS", "RXA", "2020-10-25 01:30:00"),  # first occurrence (BST)
            staff_row("R_BST", "RXA", "2021-03-29T10:00"),
            staff_row("R_Z", "RXA", "2021-03-29T10:00:00Z"),
            staff_row("R_OFFSET", "RXA", "2021-03-29 10:00:00+01:00"),
            staff_row("R_BAD", "RXA", "yesterday")]
    write_csv(zone / "2020" / "staff_survey" / "export.csv", STAFF_HEADER, rows)
    state = tmp_path / "state"
    result = run(zone, state, "staff_survey")
    stamps = dict(zip(result.responses["response_key"].to_list(), result.responses["stamp"].to_list(), strict=True))
    assert stamps["R_GMT"] == dt.datetime(2020, 12, 1, 9, 0, tzinfo=UTC)
    assert stamps["R_AMBIGUOUS"] == dt.datetime(2020, 10, 25, 0, 30, tzinfo=UTC)
    assert stamps["R_BST"] == dt.datetime(2021, 3, 29, 9, 0, tzinfo=UTC)
    assert stamps["R_Z"] == dt.datetime(2021, 3, 29, 10, 0, tzinfo=UTC)
    assert stamps["R_OFFSET"] == dt.datetime(2021, 3, 29, 9, 0, tzinfo=UTC)
    assert stamps["R_BAD"] is None and result.status("R_BAD") == ["counted"]  # no time: ranked last at the cap
    archive = Archive(state / "archive", state / "raw")
    again = ingest_survey(archive, zone, state / "raw", 2020, "staff_survey", state / "scratch")
    assert again.files_read == 0 and again.new_receipts == 0


def test_suites_value_sets_are_the_catalogues() -> None:
    scales: dict[str, set[str]] = {}
    for row in read_catalogue("staff_survey_scales"):
        scales.setdefault(row["answer_scale"], set()).add(row["answer"].replace("\u2019", "'").strip().casefold())
    staff = load_suite("staff_survey_answers")
    in_suite = {e["meta"]["scale"]: set(e["kwargs"]["value_set"]) for e in staff["expectations"] if "scale" in e["meta"]}
    assert in_suite == scales
    codes = {row["code"] for row in read_catalogue("service_user_survey_codes")}
    answered = {row["code"] for row in read_catalogue("service_user_survey_codes") if row["counts_as_answer"] == "Y"}
    su = {e["meta"]["rule_id"]: set(e["kwargs"]["value_set"]) for e in load_suite("service_user_survey_answers")[
        "expectations"]}
    assert su == {"Q04": codes, "Q06": answered}
