"""generate_landing_zone: write the sample landing zone and return what was planted.

Prongs are sibling modules. This one writes the register, the participants and the
organisational returns; staff-survey, service-user-survey and incident-feed generators are meant
to be called from `generate_landing_zone` after `_org_return_prong`, reading the same register and
participants from the `Planted` they extend.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from orchestration.sample.answers import INPATIENT_SHARE, FeedTotals
from orchestration.sample.incidents import IncidentTruth, build_providers, generate_incidents
from orchestration.sample.oracle import RegisterRow
from orchestration.sample.org_returns import Submission, generate_cycle
from orchestration.sample.outcomes import current_truth, mark_current, planted_flags, workbook_record
from orchestration.sample.participation import (
    Participant,
    build_participants,
    choose_non_completers,
    select_registered,
)
from orchestration.sample.planted import ParticipantRow, Planted, PlantedFlag
from orchestration.sample.register import Organisation, build_register
from orchestration.sample.rng import unit
from orchestration.sample.service_user_survey import ServiceUserSurveyWriter
from orchestration.sample.staff_survey import StaffSurveyWriter
from orchestration.sample.surveys import SurveyWriter, generate_survey_cycle

ORGANISATIONS_HEADER = ["org_code", "org_name", "provider_type", "org_type", "region"]
PROVIDERS_HEADER = [
    "provider_code",
    "provider_name",
    "sector",
    "setting_type",
    "commissioner_code",
    "org_code",
    "training_certification",
]
PARTICIPANTS_HEADER = [
    "org_code",
    "registered_org_return",
    "registered_staff_survey",
    "registered_service_user_survey",
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_register(root: Path, register: list[Organisation]) -> None:
    write_csv(root / "register" / "organisations.csv", ORGANISATIONS_HEADER, [org.csv_row() for org in register])
    write_csv(root / "register" / "providers.csv", PROVIDERS_HEADER,
              [provider.csv_row() for provider in build_providers(register)])


def write_submission(root: Path, submission: Submission) -> None:
    path = root / str(submission.cycle) / "org_returns" / submission.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(submission.data)
    stamp = submission.arrived_at.astimezone(dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))


def _participant_row(p: Participant) -> ParticipantRow:
    return ParticipantRow(
        p.cycle_year, p.org_code, p.registered_org_return, p.registered_staff_survey, p.registered_service_user_survey
    )


def _org_return_prong(root: Path, planted: Planted, register: list[Organisation], cycle: int,
                      feeds: FeedTotals | None = None) -> None:
    registered = select_registered(planted.seed, register, cycle)
    participants = build_participants(planted.seed, registered, cycle)
    write_csv(root / str(cycle) / "participants.csv", PARTICIPANTS_HEADER, [p.csv_row() for p in participants])
    planted.participants[cycle] = [_participant_row(p) for p in participants]
    submissions = generate_cycle(planted.seed, cycle, register, registered, feeds)
    mark_current(submissions)
    for submission in submissions:
        write_submission(root, submission)
    codes = {org.org_code for org in registered}
    planted.workbooks.extend(workbook_record(sub) for sub in submissions)
    planted.flags.extend(planted_flags(submissions, codes))
    planted.truth.update(current_truth(submissions))


def _survey_prong(root: Path, planted: Planted, writer: SurveyWriter, cycle: int) -> None:
    """One survey's files for the cycle (after the org-return prong: it reads the participants)."""
    result = generate_survey_cycle(writer, planted.seed, cycle, planted.register, planted.participants[cycle],
                                   planted.survey_scale)
    for relative, data in result.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stamp = result.arrived[relative].timestamp()
        os.utime(path, (stamp, stamp))
    planted.survey_responses.extend(result.counted)
    planted.flags.extend(
        PlantedFlag(writer.spec.source, cycle, org, rule, item, path or None, "open", response_key=key)
        for rule, org, item, key, path in result.flags
    )


def generate_landing_zone(root: Path, seed: int = 2020, cycles: Sequence[int] = (2018, 2019, 2020),
                          survey_scale: int = 1) -> Planted:
    """Write a deterministic sample landing zone under `root` and return what was planted.

    Same seed and cycles -> byte-identical files. Files of other names already under `root` are
    left alone (use an empty directory). `survey_scale` multiplies the responses every trust sends
    to both surveys (for benchmarks; at 1 the 2020 counts are the report's).
    """
    root = Path(root)
    register = build_register()
    chosen = tuple(sorted(set(int(cycle) for cycle in cycles)))
    planted = Planted(
        seed=seed,
        cycles=chosen,
        register=[RegisterRow(*org.csv_row()) for org in register],
        survey_scale=survey_scale,
    )
    write_register(root, register)
    # the incident feeds first (their own random streams): the trusts that send one state its
    # RI.03-RI.08 in their returns, but for one planted mismatch (R10)
    incident_flags: list[PlantedFlag] = []
    planted.incidents = generate_incidents(root, seed, register, incident_flags)
    stated = plant_r10_mismatch(planted.incidents, seed, register, chosen)
    for cycle in chosen:
        _org_return_prong(root, planted, register, cycle, stated)
    for cycle in chosen:
        for writer in (StaffSurveyWriter(), ServiceUserSurveyWriter()):
            _survey_prong(root, planted, writer, cycle)
    planted.flags.extend(incident_flags)
    return planted


def plant_r10_mismatch(truth: IncidentTruth, seed: int, register: list[Organisation], cycles: Sequence[int]
                       ) -> dict[tuple[str, int], dict[str, int]]:
    """The feed figures each trust states in its return: the feed's own, except RI.07 (seclusions)
    in the last cycle of the first trust expected to return it (registered, completing, with
    inpatient services), stated half as large again plus 6 (beyond R10's tolerance of 10% and 5),
    which `truth.r10_planted` records."""
    stated = {key: dict(values) for key, values in truth.feed_totals.items()}
    last = max(cycles)
    registered = select_registered(seed, register, last)
    skipped = {org.org_code for org in choose_non_completers(seed, registered, last)}
    returning = {org.org_code for org in registered if org.org_code not in skipped
                 and unit(seed, "inpatient", org.org_code) < INPATIENT_SHARE}
    trusts = sorted(trust for trust, cycle in stated if cycle == last and trust in returning)
    if trusts:
        figures = stated[(trusts[0], last)]
        figures["RI.07"] = round(figures["RI.07"] * 1.5) + 6
        truth.r10_planted = (trusts[0], last, "RI.07")
    return stated
