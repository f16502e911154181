"""Flag rows: one per offending value, with an id that is stable across runs."""

from __future__ import annotations

import hashlib

from orchestration.lib.catalogue import render_message, rules


def flag_id(cycle_year: int | None, org_code: str | None, rule_id: str, item_id: str | None,
            extra: str | None = None) -> str:
    """Hash of what identifies the value: cycle, organisation, rule, item, plus the response id,
    incident key or file hash where the rule needs one. Nothing run-specific goes in."""
    parts = ["" if part is None else str(part) for part in (cycle_year, org_code, rule_id, item_id, extra)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def make_flag(
    *,
    cycle_year: int | None,
    org_code: str | None,
    rule_id: str,
    item_id: str | None = None,
    file_hash: str | None = None,
    landing_path: str | None = None,
    response_key: str | None = None,
    submitted_value: str | None = None,
    expected: str | None = None,
    id_extra: str | None = None,
    **message_values: object,
) -> dict[str, object]:
    message = render_message(
        rule_id, item_id=item_id, value=submitted_value, expected=expected, cycle=cycle_year,
        **message_values,
    )
    detail = message_values.get("detail")
    if detail and "{detail}" not in rules()[rule_id].message_to_submitter:
        message = f"{message} ({detail})"  # e.g. F01's reason, which its template has no place for
    if landing_path and rule_id.startswith("F"):
        message = f"{message} (file: {landing_path})"
    return {
        "flag_id": flag_id(cycle_year, org_code, rule_id, item_id, id_extra),
        "cycle_year": cycle_year,
        "org_code": org_code,
        "rule_id": rule_id,
        "severity": rules()[rule_id].severity,
        "item_id": item_id,
        "file_hash": file_hash,
        "landing_path": landing_path,
        "response_key": response_key,
        "submitted_value": submitted_value,
        "expected": expected,
        "message": message,
    }
