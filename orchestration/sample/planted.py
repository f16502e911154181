"""What the generator planted: the record tests and the lead's checks assert against.

`Planted` is plain data (JSON-serialisable with `to_json`) plus two oracles computed from it:
`expected_national_indicators()` and `expected_participation()`. Later prongs (staff survey,
service-user survey, incident feeds) add their own records beside `workbooks`; `flags` is shared
and every flag names its `source`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.sample.oracle import (
    IndicatorResult,
    RegisterRow,
    Value,
    national_indicators,
    participation,
)
from orchestration.sample.surveys import (
    CountedResponse,
    national_survey_indicators,
    survey_participation,
    trust_survey_indicators,
)


@dataclass(frozen=True)
class ParticipantRow:
    cycle_year: int
    org_code: str
    registered_org_return: bool
    registered_staff_survey: bool
    registered_service_user_survey: bool


@dataclass(frozen=True)
class WorkbookRecord:
    path: str  # relative to the landing root, with forward slashes
    cycle_year: int
    intended_org: str  # who really sent it
    org_code: str | None  # as the warehouse should read it (trimmed, upper-case); None if unreadable
    org_code_written: str | None  # the Cover's text exactly
    outcome: str  # accepted | rejected
    rule_id: str | None  # the file-level rule it raises (F01-F06), None if none
    is_current: bool
    submitted_at: str | None  # the instant, ISO 8601 UTC; None when the Cover has none
    sha256: str
    note: str


@dataclass(frozen=True)
class PlantedFlag:
    source: str  # org_return (later: staff_survey, service_user_survey, incident)
    cycle_year: int
    org_code: str | None
    rule_id: str
    item_id: str | None
    file: str | None  # relative landing path of the file the flag is raised on
    expected_status: str  # open | resolved_by_resubmission
    note: str = ""
    response_key: str | None = None  # survey rules: the response_id / form_id the flag is about


@dataclass
class Planted:
    seed: int = 0
    cycles: tuple[int, ...] = ()
    register: list[RegisterRow] = field(default_factory=list)
    participants: dict[int, list[ParticipantRow]] = field(default_factory=dict)
    workbooks: list[WorkbookRecord] = field(default_factory=list)
    flags: list[PlantedFlag] = field(default_factory=list)
    # (cycle_year, org_code) -> item_id -> usable value of the trust's CURRENT return
    truth: dict[tuple[int, str], dict[str, Value]] = field(default_factory=dict)
    # every survey response that counts (after dedupe, quarantine and caps), answers as read
    survey_responses: list[CountedResponse] = field(default_factory=list)
    survey_scale: int = 1
    # the incident-feed prong's truth (sample/incidents.py::IncidentTruth); None before it runs
    incidents: Any = None

    def registered(self, cycle: int) -> list[str]:
        return [row.org_code for row in self.participants.get(cycle, []) if row.registered_org_return]

    def completed(self, cycle: int) -> set[str]:
        """Registered trusts with at least one accepted workbook in the cycle."""
        registered = set(self.registered(cycle))
        return {
            wb.org_code
            for wb in self.workbooks
            if wb.cycle_year == cycle and wb.outcome == "accepted" and wb.org_code in registered
        }

    def flags_by_rule(self) -> dict[tuple[int, str], int]:
        counts: dict[tuple[int, str], int] = {}
        for flag in self.flags:
            key = (flag.cycle_year, flag.rule_id)
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def expected_national_indicators(self) -> dict[tuple[int, str], IndicatorResult]:
        return national_indicators(self.register, self.truth, self.cycles)

    def expected_participation(self) -> dict[tuple[int, str, str], dict[str, int]]:
        registered = {cycle: self.registered(cycle) for cycle in self.cycles}
        completed = {cycle: self.completed(cycle) for cycle in self.cycles}
        return participation(self.register, registered, completed)

    def expected_survey_indicators(self) -> dict[tuple[int, str], tuple[int, int, float | None]]:
        """(cycle, indicator) -> (numerator, denominator, value) for every survey indicator."""
        return national_survey_indicators(self.register, self.survey_responses, self.cycles)

    def expected_trust_survey_indicators(self) -> dict[tuple[int, str, str], tuple[int, int, float | None]]:
        """(cycle, indicator, org) -> exact per-trust survey figures."""
        return trust_survey_indicators(self.register, self.survey_responses, self.cycles)

    def expected_survey_participation(self) -> dict[tuple[int, str, str], dict[str, int]]:
        """(cycle, provider_type, org_type) -> the four survey columns of the participation table,
        for every row of `expected_participation()` (0 where a group has no responses)."""
        found = survey_participation(self.register, self.survey_responses)
        zero = {"trusts_with_staff_responses": 0, "staff_responses": 0,
                "trusts_with_service_user_responses": 0, "service_user_responses": 0}
        return {key: found.get(key, dict(zero)) for key in self.expected_participation()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "cycles": list(self.cycles),
            "register": [dataclasses.asdict(row) for row in self.register],
            "participants": {
                str(cycle): [dataclasses.asdict(row) for row in rows] for cycle, rows in self.participants.items()
            },
            "workbooks": [dataclasses.asdict(wb) for wb in self.workbooks],
            "flags": [dataclasses.asdict(flag) for flag in self.flags],
            "truth": [
                {"cycle_year": cycle, "org_code": code, "items": items}
                for (cycle, code), items in sorted(self.truth.items())
            ],
            "expected_national_indicators": [
                {"cycle_year": cycle, "indicator_id": ind, "numerator": n, "denominator": d, "value": v}
                for (cycle, ind), (n, d, v) in self.expected_national_indicators().items()
            ],
            "survey_scale": self.survey_scale,
            "survey_responses": [dataclasses.asdict(r) for r in self.survey_responses],
            "expected_survey_indicators": [
                {"cycle_year": cycle, "indicator_id": ind, "numerator": n, "denominator": d, "value": v}
                for (cycle, ind), (n, d, v) in self.expected_survey_indicators().items()
            ],
            "incidents": None if self.incidents is None else {
                "rising_provider": self.incidents.rising_provider,
                "flat_provider": self.incidents.flat_provider,
                "rows_written": self.incidents.rows_written,
                # a few cells of restrictive_practice_monthly (all are in IncidentTruth.monthly)
                "expected_monthly_sample": [
                    {"provider_code": p, "month": m, "intervention_type": t, "incidents": i, "people": n,
                     "total_minutes": mins}
                    for (p, m, t), (i, n, mins) in list(self.incidents.monthly.items())[:10]
                ],
            },
            "expected_participation": [
                {"cycle_year": cycle, "provider_type": pt, "org_type": ot, **counts}
                for (cycle, pt, ot), counts in self.expected_participation().items()
            ],
        }

    def to_json(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
