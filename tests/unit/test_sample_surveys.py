"""The sample generator's survey prong: files as the contract describes them, the report's 2020
participation, every survey rule planted, and the scale option."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from orchestration.sample import Planted, generate_landing_zone
from orchestration.sample.surveys import resolve

STAFF_HEADER = ["response_id", "org_code", "submitted_at", *(f"ST{n:02d}" for n in range(1, 16))]
SU_HEADER = ["batch_id", "form_id", "org_code", "scanned_at", *(f"SU{n:02d}" for n in range(1, 12))]


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted]:
    root = tmp_path_factory.mktemp("survey_zone")
    return root, generate_landing_zone(root, seed=2020, cycles=(2020,))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_files_follow_the_contract(zone) -> None:
    root, _ = zone
    staff = sorted((root / "2020" / "staff_survey").glob("*.csv"))
    batches = sorted((root / "2020" / "service_user_survey").glob("*.csv"))
    assert len(staff) == 3 and len(batches) == 4
    assert staff[0].read_bytes().startswith(b"\xef\xbb\xbfresponse_id,") and b"\r\n" in staff[0].read_bytes()
    for path in staff:
        assert list(_rows(path)[0]) == STAFF_HEADER
    codes = Counter()
    for path in batches:
        rows = _rows(path)
        assert list(rows[0]) == SU_HEADER
        codes.update(row[q].strip() for row in rows for q in SU_HEADER[4:])
    assert {"1", "2", "3", "4", "8", "9"} <= set(codes)


def test_2020_participation_is_the_reports(zone) -> None:
    _, planted = zone
    assert planted.expected_survey_participation()[(2020, "all", "all")] == {
        "trusts_with_staff_responses": 172, "staff_responses": 4548,
        "trusts_with_service_user_responses": 152, "service_user_responses": 2884,
    }


def test_every_survey_rule_is_planted_with_its_response(zone) -> None:
    _, planted = zone
    found = Counter((f.source, f.rule_id) for f in planted.flags if f.source != "org_return")
    for source in ("staff_survey", "service_user_survey"):
        for rule in ("Q01", "Q02", "Q03", "Q04", "Q05"):
            assert found[(source, rule)] > 0, (source, rule)
    assert found[("service_user_survey", "Q06")] >= 5 and found[("staff_survey", "Q06")] == 0
    keyed = [f for f in planted.flags if f.rule_id in ("Q01", "Q02", "Q03", "Q04", "Q06")]
    assert all(f.response_key for f in keyed)


def test_resolve_applies_dedupe_quarantine_then_cap() -> None:
    import datetime as dt

    from orchestration.sample.surveys import SurveyRow

    at = dt.datetime(2020, 12, 1, 9)
    rows = [SurveyRow(f"K{n}", "RXA", at + dt.timedelta(minutes=n), {}) for n in range(4)]
    rows.append(SurveyRow("K0", "RXA", at + dt.timedelta(days=1), {}))  # later copy: not kept (staff)
    rows.append(SurveyRow("Q", "ZZZ", at, {}))
    staff = resolve(rows, {"RXA"}, cap=3, keep_latest=False)
    assert [r.key for r in staff.counted] == ["K0", "K1", "K2"] and [r.key for r in staff.over_cap] == ["K3"]
    assert staff.kept["K0"].stamp == at and staff.duplicates == {"K0": 2}
    assert [r.key for r in staff.quarantined] == ["Q"]
    latest = resolve(rows, {"RXA"}, cap=3, keep_latest=True)
    assert latest.kept["K0"].stamp == at + dt.timedelta(days=1)
    assert [r.key for r in latest.counted] == ["K1", "K2", "K3"]


def test_survey_scale_multiplies_what_trusts_send(tmp_path: Path, zone) -> None:
    _, planted = zone
    scaled = generate_landing_zone(tmp_path, seed=2020, cycles=(2020,), survey_scale=3)
    sent = sum(len(_rows(path)) for path in (tmp_path / "2020" / "staff_survey").glob("*.csv"))
    assert sent > 3 * 4548
    per_trust = Counter(r.org_code for r in scaled.survey_responses if r.source == "staff_survey")
    assert max(per_trust.values()) == 50 and len(per_trust) == 172
    assert sum(f.rule_id == "Q02" for f in scaled.flags) > sum(f.rule_id == "Q02" for f in planted.flags)
