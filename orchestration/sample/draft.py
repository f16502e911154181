"""A return in the making: the rows a trust writes, what each item is worth, and its planted flags.

`truth` holds, for every item that applies to the trust in the cycle, the value the warehouse should
use: 'Yes'/'No', an int count, a float WTE/hours, or None (blank, N/A, a follow-on whose parent is
not Yes, or a value a planted error excludes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from orchestration.sample import mess
from orchestration.sample.answers import NA, Answers, Value
from orchestration.sample.catalogue import items
from orchestration.sample.register import Organisation
from orchestration.sample.workbook import ReturnRow


@dataclass
class Draft:
    org: Organisation
    cycle: int
    clean: Answers
    messiness: int
    rows: list[ReturnRow]
    truth: dict[str, Value]
    flags: list[tuple[str, str]] = field(default_factory=list)  # (rule_id, item_id)
    touched: set[str] = field(default_factory=set)

    def row(self, item_id: str) -> ReturnRow:
        return next(row for row in self.rows if row.item_id.strip().upper() == item_id)

    def flag(self, rule_id: str, item_id: str, exclude: bool = True) -> None:
        self.flags.append((rule_id, item_id))
        self.touched.add(item_id)
        if exclude and item_id in self.truth:
            self.truth[item_id] = None


def usable(value: Value) -> Value:
    return None if value is None or value == NA else value


def make_row(item_id: str, response: object, rng: random.Random, messiness: int) -> ReturnRow:
    item = items()[item_id]
    written_id = item_id
    if messiness == 2 and rng.random() < 0.03:
        written_id = rng.choice((item_id.lower(), f"{item_id} ", f" {item_id}"))
    return ReturnRow(written_id, item.section, item.question, response, mess.comment(rng, messiness))  # type: ignore[arg-type]


def build_draft(org: Organisation, cycle: int, clean: Answers, rng: random.Random, messiness: int) -> Draft:
    rows = [
        make_row(item_id, mess.render(value, items()[item_id].response_type, rng, messiness), rng, messiness)
        for item_id, value in clean.items()
    ]
    truth = {item_id: usable(value) for item_id, value in clean.items()}
    return Draft(org, cycle, dict(clean), messiness, rows, truth)


def add_identical_duplicates(draft: Draft, rng: random.Random) -> None:
    """Mess: a row pasted twice with the same response (counts once, no flag)."""
    if draft.messiness < 2 or rng.random() > 0.35:
        return
    candidates = [row for row in draft.rows if row.response is not None and row.item_id not in draft.touched]
    if candidates:
        original = rng.choice(candidates)
        copy = ReturnRow(original.item_id, original.section, original.question, original.response, None)
        draft.rows.insert(draft.rows.index(original) + 1, copy)


def with_blank_rows(rows: list[ReturnRow], rng: random.Random, messiness: int) -> list[ReturnRow | None]:
    """Mess: empty rows between sections and after the last item."""
    out: list[ReturnRow | None] = []
    previous_section = None
    for row in rows:
        if messiness and row.section != previous_section and previous_section and rng.random() < 0.5:
            out.append(None)
        out.append(row)
        previous_section = row.section
    if messiness == 2:
        out.extend([None] * rng.randint(1, 3))
    return out
