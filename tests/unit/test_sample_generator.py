"""The deterministic sample landing-zone generator (organisational-return prong)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections import Counter
from pathlib import Path

import msoffcrypto
import openpyxl
import pytest

from orchestration.sample import Planted, generate_landing_zone
from orchestration.sample.catalogue import indicators, items
from orchestration.sample.oracle import RegisterRow

COVER_LABELS = {
    "organisation code",
    "organisation name",
    "collection year",
    "submitted by",
    "submitted at",
    "template version",
}
HEADER = ["item id", "section", "question", "response", "comment"]
PLANTED_RULES = {"F01", "F02", "F03", "F04", "F05", "F06", "R01", "R02", "R03", "R04", "R05"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted, float]:
    root = tmp_path_factory.mktemp("landing")
    started = time.perf_counter()
    planted = generate_landing_zone(root, seed=2020)
    return root, planted, time.perf_counter() - started


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _key(text: object) -> str:
    return str(text).strip().casefold() if text is not None else ""


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- determinism and speed


def test_same_seed_gives_byte_identical_landing_zone(landing, tmp_path: Path) -> None:
    root, _, _ = landing
    again = generate_landing_zone(tmp_path / "again", seed=2020)
    assert _files(tmp_path / "again") == _files(root)
    assert again.to_dict() == landing[1].to_dict()


def test_other_seed_gives_other_returns(landing, tmp_path: Path) -> None:
    root, _, _ = landing
    generate_landing_zone(tmp_path / "other", seed=7, cycles=(2020,))
    ours = {name: data for name, data in _files(root).items() if name.startswith("2020/org_returns/")}
    theirs = {name: data for name, data in _files(tmp_path / "other").items() if name.startswith("2020/org_returns/")}
    assert ours != theirs


# ---------------------------------------------------------------- register and participants


def test_register_is_english_trusts_plus_three_cics(landing) -> None:
    root, planted, _ = landing
    rows = _read_csv(root / "register" / "organisations.csv")
    assert list(rows[0]) == ["org_code", "org_name", "provider_type", "org_type", "region"]
    codes = {row["org_code"] for row in rows}
    assert len(rows) == 218 and {"NX1", "NX2", "NX3"} <= codes
    assert not codes & {"RQF", "RT4", "RYT"}  # W00: not in the English collection
    assert Counter(row["org_type"] for row in rows) == {
        "acute": 137,
        "mental_health": 47,
        "community": 21,
        "ambulance": 10,
        "cic": 3,
    }
    specialist = [row for row in rows if row["provider_type"] == "specialist"]
    assert len(specialist) == 50
    assert {row["org_type"] for row in specialist} == {"mental_health", "community"}
    assert {row["region"] for row in rows} == {
        "London",
        "South West",
        "South East",
        "Midlands",
        "East of England",
        "North West",
        "North East and Yorkshire",
    }
    assert [RegisterRow(**row) for row in rows] == planted.register


def test_providers_register_has_the_contract_header_and_the_feed_providers(landing) -> None:
    root, planted, _ = landing
    lines = (root / "register" / "providers.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "provider_code,provider_name,sector,setting_type,commissioner_code,org_code,training_certification"
    assert [line.split(",")[0] for line in lines[1:]] == [p.provider_code for p in planted.incidents.providers]
    assert len(lines) - 1 == 30


def test_2020_participation_matches_the_report(landing) -> None:
    root, planted, _ = landing
    rows = _read_csv(root / "2020" / "participants.csv")
    register = {row.org_code: row for row in planted.register}
    assert len(rows) == 201
    groups = Counter((register[r["org_code"]].provider_type, register[r["org_code"]].org_type) for r in rows)
    assert sum(n for (pt, _), n in groups.items() if pt == "specialist") == 50
    universal = {ot: n for (pt, ot), n in groups.items() if pt == "universal"}
    assert universal == {"acute": 131, "community": 11, "mental_health": 5, "ambulance": 1, "cic": 3}
    assert len(planted.completed(2020)) == 178
    staff = sum(r["registered_staff_survey"] == "Y" for r in rows)
    service_users = sum(r["registered_service_user_survey"] == "Y" for r in rows)
    assert staff > 172 and service_users > 152
    expected = planted.expected_participation()
    assert expected[(2020, "all", "all")] == {"registered_trusts": 201, "completed_returns": 178}
    assert expected[(2020, "specialist", "all")]["registered_trusts"] == 50
    assert expected[(2020, "universal", "all")]["registered_trusts"] == 151


def test_earlier_cycles_are_smaller_and_respect_open_dates(landing) -> None:
    root, planted, _ = landing
    sizes = {cycle: len(_read_csv(root / str(cycle) / "participants.csv")) for cycle in (2018, 2019, 2020)}
    assert sizes[2018] < sizes[2019] < sizes[2020]
    for cycle in (2018, 2019, 2020):
        assert [p.org_code for p in planted.participants[cycle]] == [
            r["org_code"] for r in _read_csv(root / str(cycle) / "participants.csv")
        ]
    assert not {"RD3", "RDZ"} & set(planted.registered(2020))  # closed 30 September 2020
    assert "R0D" not in set(planted.registered(2018)) | set(planted.registered(2019))  # opened October 2020
    assert "R0B" not in planted.registered(2018)  # opened April 2019


# ---------------------------------------------------------------- workbook layout


_LAYOUTS: dict[bytes, tuple[dict[str, object], list[list[object]]]] = {}


def _open_layout(data: bytes) -> tuple[dict[str, object], list[list[object]]]:
    """Cover (label -> value) and Return rows of a workbook on the template (cached by content)."""
    key = hashlib.sha256(data).digest()
    if key not in _LAYOUTS:
        _LAYOUTS[key] = _read_layout(data)
    return _LAYOUTS[key]


def _read_layout(data: bytes) -> tuple[dict[str, object], list[list[object]]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheets = {_key(name): name for name in book.sheetnames}
    assert set(sheets) == {"cover", "return"}
    cover = {_key(row[0]): row[1] for row in book[sheets["cover"]].iter_rows(values_only=True) if row[0]}
    rows = [list(row) for row in book[sheets["return"]].iter_rows(values_only=True)]
    book.close()
    return cover, rows


def test_every_workbook_follows_the_template_except_planted_f01_f02(landing) -> None:
    root, planted, _ = landing
    for wb in planted.workbooks:
        data = (root / wb.path).read_bytes()
        if wb.rule_id == "F01":
            with pytest.raises(Exception):  # noqa: B017 - any failure to open is the point
                openpyxl.load_workbook(io.BytesIO(data))
            continue
        if wb.rule_id == "F02":
            with pytest.raises(AssertionError):
                _check_template(data, wb.cycle_year)
            continue
        _check_template(data, wb.cycle_year)


def _check_template(data: bytes, cycle: int) -> None:
    cover, rows = _open_layout(data)
    assert set(cover) == COVER_LABELS
    header_at = next(i for i, row in enumerate(rows) if any(_key(cell) for cell in row))
    assert [_key(cell) for cell in rows[header_at]] == HEADER
    item_ids = {_key(row[0]).upper() for row in rows[header_at + 1 :] if _key(row[0])}
    assert item_ids <= set(items())
    assert all(items()[item_id].first_cycle <= cycle for item_id in item_ids)


def test_current_workbooks_hold_the_truth(landing) -> None:
    """Every unflagged value of a current return reads back (normalised) as the planted truth."""
    root, planted, _ = landing
    for wb in (w for w in planted.workbooks if w.is_current and w.cycle_year == 2020):
        _, rows = _open_layout((root / wb.path).read_bytes())
        found: dict[str, set[object]] = {}
        for row in rows[1:]:
            if _key(row[0]) and _key(row[0]) != "item id":
                found.setdefault(_key(row[0]).upper(), set()).add(_normalise(row[3]))
        flagged = {f.item_id for f in planted.flags if f.file == wb.path and f.item_id}
        for item_id, value in planted.truth[(2020, wb.org_code)].items():
            if item_id in flagged:
                continue
            expected = value if value is None or isinstance(value, str) else float(value)
            assert found.get(item_id, {None}) == {expected}, (wb.path, item_id)


def _normalise(cell: object) -> object:
    if cell is None or isinstance(cell, int | float):
        return None if cell is None else float(cell)
    text = str(cell).strip().lower()
    if text in ("", "n/a", "na", "not applicable"):
        return None
    if text in ("yes", "no"):
        return text.capitalize()
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text  # an invalid answer (flagged)


def test_cover_says_what_the_record_says(landing) -> None:
    root, planted, _ = landing
    for wb in planted.workbooks:
        if wb.rule_id in ("F01", "F02"):
            continue
        cover, _ = _open_layout((root / wb.path).read_bytes())
        assert str(cover["organisation code"]).strip().upper() == wb.org_code
        year = int(str(cover["collection year"]).strip())
        assert (year != wb.cycle_year) == (wb.rule_id == "F04")
        assert (cover["template version"] != f"LDIS-{wb.cycle_year}") == (wb.rule_id == "F05")


def test_encrypted_workbook_is_real_ooxml_encryption(landing) -> None:
    root, planted, _ = landing
    encrypted = [wb for wb in planted.workbooks if "encrypted" in wb.note]
    assert encrypted
    for wb in encrypted:
        data = (root / wb.path).read_bytes()
        assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        assert msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()


def test_other_unreadable_files(landing) -> None:
    root, planted, _ = landing
    notes = {wb.note.split(":")[0]: (root / wb.path).read_bytes() for wb in planted.workbooks}
    assert notes["F01_empty"] == b""
    assert "item id" in notes["F01_csv"].decode("utf-8").splitlines()[0].casefold()
    copies = [wb for wb in planted.workbooks if wb.rule_id == "F06"]
    assert copies
    by_path = {wb.path: wb for wb in planted.workbooks}
    for copy in copies:
        originals = [wb for wb in by_path.values() if wb.sha256 == copy.sha256 and wb.path != copy.path]
        assert len(originals) == 1 and originals[0].path < copy.path


# ---------------------------------------------------------------- planted flags


def _org_return_flags(planted: Planted) -> list:
    return [flag for flag in planted.flags if flag.source == "org_return"]


def test_every_planted_rule_appears(landing) -> None:
    _, planted, _ = landing
    assert {flag.rule_id for flag in _org_return_flags(planted)} == PLANTED_RULES
    for cycle in planted.cycles:
        assert {flag.rule_id for flag in _org_return_flags(planted) if flag.cycle_year == cycle} == PLANTED_RULES
    notes = " ".join(wb.note for wb in planted.workbooks)
    for fault in (
        "R01_blank",
        "R01_missing_row",
        "R02_text_in_count",
        "R02_negative_count",
        "R02_fractional_count",
        "R02_maybe",
        "R02_y_or_n",
        "R02_not_applicable_not_allowed",
        "R02_conflicting_duplicate",
        "R03_not_applicable_answered",
        "R04_follow_on_parent_no",
        "R05_part_exceeds_whole",
        "F01_encrypted",
        "F01_csv",
        "F01_empty",
        "F02_return_sheet",
        "F02_cover_sheet",
        "F02_column",
        "F02_cover_field",
        "F04_collection_year",
    ):
        assert fault in notes, fault


def test_flags_name_their_file_and_org(landing) -> None:
    _, planted, _ = landing
    paths = {wb.path: wb for wb in planted.workbooks}
    for flag in _org_return_flags(planted):
        wb = paths[flag.file]
        assert flag.org_code == wb.org_code and flag.cycle_year == wb.cycle_year
        assert (flag.item_id is None) == flag.rule_id.startswith("F")
        assert flag.expected_status in ("open", "resolved_by_resubmission")
    unreadable = [f for f in _org_return_flags(planted) if f.org_code is None]
    assert unreadable and all(f.rule_id in ("F01", "F02") and f.expected_status == "open" for f in unreadable)


def test_resubmissions_resolve_first_version_flags(landing) -> None:
    _, planted, _ = landing
    resolved = {
        f.org_code for f in planted.flags if f.cycle_year == 2020 and f.expected_status == "resolved_by_resubmission"
    }
    corrected = {
        wb.org_code
        for wb in planted.workbooks
        if wb.cycle_year == 2020 and wb.is_current and wb.note.startswith("corrected resubmission")
    }
    assert 8 <= len(corrected) <= 15 and corrected <= resolved
    still = [wb for wb in planted.workbooks if wb.cycle_year == 2020 and "still" in wb.note]
    assert still
    kept = [f for f in planted.flags if f.file == still[0].path]
    assert kept and all(f.expected_status == "open" for f in kept)


def test_an_earlier_submitted_at_does_not_supersede(landing) -> None:
    _, planted, _ = landing
    stale = [wb for wb in planted.workbooks if wb.cycle_year == 2020 and wb.note.startswith("older draft")]
    assert len(stale) == 1
    first = next(w for w in planted.workbooks if w.org_code == stale[0].org_code and w.cycle_year == 2020 and w.is_current)
    assert first.submitted_at > stale[0].submitted_at and not stale[0].is_current
    assert all(f.expected_status == "resolved_by_resubmission" for f in planted.flags if f.file == stale[0].path)


def test_rejected_only_trusts_have_not_completed(landing) -> None:
    _, planted, _ = landing
    for cycle in planted.cycles:
        accepted = {wb.org_code for wb in planted.workbooks if wb.cycle_year == cycle and wb.outcome == "accepted"}
        rejected = {wb.intended_org for wb in planted.workbooks if wb.cycle_year == cycle and wb.outcome == "rejected"}
        registered = set(planted.registered(cycle))
        only_rejected = (rejected - accepted) & registered
        assert only_rejected
        assert not only_rejected & planted.completed(cycle)
        assert {code for (year, code) in planted.truth if year == cycle} == planted.completed(cycle)


def test_one_current_version_per_completed_trust(landing) -> None:
    _, planted, _ = landing
    current = Counter((wb.cycle_year, wb.org_code) for wb in planted.workbooks if wb.is_current)
    assert set(current.values()) == {1}
    assert set(current) == set(planted.truth)


def test_to_json_round_trips_as_plain_json(landing, tmp_path: Path) -> None:
    _, planted, _ = landing
    planted.to_json(tmp_path / "planted.json")
    data = json.loads((tmp_path / "planted.json").read_text(encoding="utf-8"))
    assert {"register", "participants", "workbooks", "flags", "truth", "expected_national_indicators"} <= set(data)
    assert len(data["participants"]["2020"]) == 201


# ---------------------------------------------------------------- oracle


def _row(code: str, provider_type: str, org_type: str) -> RegisterRow:
    return RegisterRow(code, f"Trust {code}", provider_type, org_type, "London")


def test_oracle_on_a_hand_made_truth() -> None:
    register = [
        _row("U1", "universal", "acute"),
        _row("U2", "universal", "acute"),
        _row("U3", "universal", "community"),
        _row("S1", "specialist", "mental_health"),
        _row("S2", "specialist", "mental_health"),
        _row("S3", "specialist", "community"),
    ]
    truth = {
        (2020, "U1"): {"S1.02": "Yes", "A.01": 1000, "A.02": 3, "A.03": 2.5, "A.04": 300, "A.05": 40},
        (2020, "U2"): {"S1.02": "No", "A.01": 200, "A.02": 1, "A.03": 3.0, "A.04": 100, "A.05": 9},
        (2020, "U3"): {"S1.02": None, "A.01": 0, "A.02": 0, "A.04": 50, "A.05": None},
        (2020, "S1"): {"S1.02": "Yes", "S4.01": "Yes", "S4.02": "Yes", "RI.01": 2000, "RI.03": 7},
        (2020, "S2"): {"S1.02": "Yes", "S4.01": "Yes", "S4.02": "No", "RI.01": None, "RI.03": 5},
        (2020, "S3"): {"S1.02": "Yes", "S4.01": "No", "S4.02": "Yes"},
    }
    result = Planted(cycles=(2018, 2020), register=register, truth=truth).expected_national_indicators()
    assert result[(2020, "I1.05")] == (4, 5, 80.0)  # share, 'all': U3's blank is left out
    assert result[(2020, "IA.01")] == (49, 400, 12.3)  # pooled 49/400 = 12.25 -> half-up 12.3; U3 excluded
    assert result[(2020, "I4.03")] == (1, 2, 50.0)  # parent S4.01 = Yes only: S3's answer does not count
    assert result[(2020, "I4.02")] == (2, 3, 66.7)
    assert result[(2020, "I1.18")] == (None, 2, 0.4)  # mean of 0.3% and 0.5%; U3 has whole 0
    assert result[(2020, "IA.05")] == (None, 2, 2.8)  # mean WTE 2.75 -> 2.8
    assert result[(2020, "IR.01")] == (7, 2000, 3.5)  # per 1,000 bed days; S2 has no usable RI.01
    assert result[(2018, "I4.02")] == (0, 0, None)  # no returns: denominator 0, empty value
    assert (2018, "IR.01") not in result and (2018, "I4.20") not in result  # items not collected yet


def test_oracle_covers_every_org_return_indicator_in_every_collected_cycle(landing) -> None:
    _, planted, _ = landing
    result = planted.expected_national_indicators()
    org_return = [ind for ind in indicators() if ind.source in ("org_return", "org_return_activity")]
    for ind in org_return:
        for cycle in planted.cycles:
            first = max(items()[i].first_cycle for i in {ind.item_id, *ind.numerator, *ind.denominator} if i in items())
            assert ((cycle, ind.indicator_id) in result) == (cycle >= first)
    figures = {ind.indicator_id: ind.report_2020_value for ind in org_return if ind.report_2020_value}
    for indicator_id, reported in figures.items():
        value = result[(2020, indicator_id)][2]
        assert value is not None and abs(value - reported) < 6, indicator_id
