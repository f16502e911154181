"""Decide, for the files of one cycle, which version is current and what each planted flag's status
should be, following the contract and docs/design.md:

- The current return of a trust is its accepted workbook with the latest `Submitted at` (then the one
  archived later). A byte-identical copy (F06) is the same version as its original, never another.
- An item flag's identity is (cycle, org, rule, item): `open` when the current version carries it,
  `resolved_by_resubmission` when only superseded versions do.
- A file-level error on a rejected file is `resolved_by_resubmission` once that organisation has an
  accepted return for the cycle; it stays `open` when the organisation cannot be read from the file.
- F05 (warning) follows its file: `open` on the current version. F06 (info) is `open`.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from orchestration.sample.org_returns import Submission
from orchestration.sample.planted import PlantedFlag, WorkbookRecord


def landing_path(submission: Submission) -> str:
    return f"{submission.cycle}/org_returns/{submission.filename}"


def _instant(submission: Submission) -> dt.datetime:
    assert submission.submitted_at is not None
    return submission.submitted_at.astimezone(dt.UTC)


def mark_current(submissions: list[Submission]) -> None:
    best: dict[str, tuple[tuple[dt.datetime, int], Submission]] = {}
    for index, sub in enumerate(submissions):
        if sub.outcome != "accepted" or sub.copy_of or sub.org_code is None:
            continue
        key = (_instant(sub), index)
        if sub.org_code not in best or key > best[sub.org_code][0]:
            best[sub.org_code] = (key, sub)
    for _, sub in best.values():
        sub.is_current = True


def workbook_record(sub: Submission) -> WorkbookRecord:
    return WorkbookRecord(
        path=landing_path(sub),
        cycle_year=sub.cycle,
        intended_org=sub.intended_org,
        org_code=sub.org_code,
        org_code_written=sub.org_code_written,
        outcome=sub.outcome,
        rule_id=sub.file_rule,
        is_current=sub.is_current,
        submitted_at=sub.submitted_at.astimezone(dt.UTC).isoformat() if sub.submitted_at else None,
        sha256=hashlib.sha256(sub.data).hexdigest(),
        note=sub.note,
    )


def _file_status(sub: Submission, has_accepted: set[str]) -> str:
    if sub.file_rule == "F05":
        return "open" if sub.is_current else "resolved_by_resubmission"
    if sub.outcome == "rejected" and sub.org_code in has_accepted:
        return "resolved_by_resubmission"
    return "open"


def planted_flags(submissions: list[Submission], registered: set[str]) -> list[PlantedFlag]:
    has_accepted = {s.org_code for s in submissions if s.outcome == "accepted" and s.org_code in registered}
    current_items = {(s.org_code, rule, item) for s in submissions if s.is_current for rule, item in s.item_flags}
    flags = []
    for sub in submissions:
        path = landing_path(sub)
        if sub.file_rule:
            status = _file_status(sub, has_accepted)
            flags.append(PlantedFlag("org_return", sub.cycle, sub.org_code, sub.file_rule, None, path, status, sub.note))
        for rule, item in sub.item_flags:
            status = "open" if (sub.org_code, rule, item) in current_items else "resolved_by_resubmission"
            flags.append(PlantedFlag("org_return", sub.cycle, sub.org_code, rule, item, path, status))
    return flags


def current_truth(submissions: list[Submission]) -> dict[tuple[int, str], dict]:
    return {
        (sub.cycle, sub.org_code): dict(sub.truth or {})
        for sub in submissions
        if sub.is_current and sub.org_code is not None
    }
