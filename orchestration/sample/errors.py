"""Planted item-level faults (rules R01-R05), each recorded on the draft it is planted in.

Every planter picks an eligible item (or uses `item` when given, to repeat a fault on a
resubmission), changes the rows, records the flag and sets the item's truth to None when the
fault excludes the value. Planters never touch a parent item (S4.01, S4.11) except where the
fault is about its follow-on, and never make a part exceed its whole by accident, so each planted
fault raises exactly the one flag recorded.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from orchestration.sample.answers import NA
from orchestration.sample.catalogue import PARENTS, PART_OF, WHOLES, items
from orchestration.sample.draft import Draft, make_row

Planter = Callable[[Draft, random.Random, str | None], str | None]


def _plain_items(draft: Draft, types: tuple[str, ...], need_value: bool = True) -> list[str]:
    """Untouched items of these types that are neither parents nor follow-ons."""
    found = []
    for item_id, value in draft.clean.items():
        item = items()[item_id]
        if item.response_type not in types or item_id in PARENTS or item.parent_item:
            continue
        if item_id in draft.touched or (need_value and (value is None or value == NA)):
            continue
        found.append(item_id)
    return found


def _pick(draft: Draft, rng: random.Random, candidates: list[str], item: str | None) -> str | None:
    if item is not None:
        return item if item in draft.clean and item not in draft.touched else None
    return rng.choice(candidates) if candidates else None


def blank_answer(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R01: an applicable item left blank (empty or whitespace-only cell)."""
    chosen = _pick(draft, rng, _plain_items(draft, ("yes_no", "count", "wte")), item)
    if chosen:
        draft.row(chosen).response = rng.choice((None, " ", "   "))
        draft.flag("R01", chosen)
    return chosen


def missing_row(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R01: an applicable item's row deleted from the sheet."""
    chosen = _pick(draft, rng, _plain_items(draft, ("yes_no", "count")), item)
    if chosen:
        draft.rows.remove(draft.row(chosen))
        draft.flag("R01", chosen)
    return chosen


def follow_on_blank(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R01: a follow-on left blank although its parent is Yes."""
    live = [
        item_id
        for item_id in draft.clean
        if items()[item_id].parent_item and draft.clean.get(items()[item_id].parent_item) == "Yes"
    ]
    chosen = _pick(draft, rng, [i for i in live if i not in draft.touched], item)
    if chosen:
        draft.row(chosen).response = None
        draft.flag("R01", chosen)
    return chosen


def text_in_count(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R02: words where a count belongs."""
    chosen = _pick(draft, rng, _plain_items(draft, ("count",)), item)
    if chosen:
        draft.row(chosen).response = rng.choice(("not known", "TBC", "see comment", "approx 40", "Unknown"))
        draft.flag("R02", chosen)
    return chosen


def _counts_not_whole(draft: Draft, minimum: int) -> list[str]:
    return [
        item_id
        for item_id in _plain_items(draft, ("count",))
        if item_id not in WHOLES and int(draft.clean[item_id]) >= minimum  # type: ignore[arg-type]
    ]


def negative_count(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R02: a count typed with a minus sign (never on a whole, so no R05 follows)."""
    chosen = _pick(draft, rng, _counts_not_whole(draft, 1), item)
    if chosen:
        value = int(draft.clean[chosen])  # type: ignore[arg-type]
        draft.row(chosen).response = rng.choice((-value, f"-{value}"))
        draft.flag("R02", chosen)
    return chosen


def fractional_count(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R02: a count with a fraction such as 12.5 (kept below the clean value, so below any whole)."""
    chosen = _pick(draft, rng, _counts_not_whole(draft, 1), item)
    if chosen:
        value = int(draft.clean[chosen]) - 0.5  # type: ignore[arg-type]
        draft.row(chosen).response = rng.choice((value, str(value)))
        draft.flag("R02", chosen)
    return chosen


def maybe_answer(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R02: a yes/no item answered `Maybe` (or similar)."""
    chosen = _pick(draft, rng, _plain_items(draft, ("yes_no",)), item)
    if chosen:
        draft.row(chosen).response = rng.choice(("Maybe", "Maybe", "Partially", "In progress"))
        draft.flag("R02", chosen)
    return chosen


def y_or_n(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R02: `Y`/`N` for Yes/No."""
    chosen = _pick(draft, rng, _plain_items(draft, ("yes_no",)), item)
    if chosen:
        letter = str(draft.clean[chosen])[0]
        draft.row(chosen).response = rng.choice((letter, letter.lower(), f" {letter}"))
        draft.flag("R02", chosen)
    return chosen


def not_applicable_not_allowed(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R02: `Not applicable` on an item whose catalogue entry does not allow it."""
    candidates = [i for i in _plain_items(draft, ("yes_no", "count", "wte")) if not items()[i].na_allowed]
    chosen = _pick(draft, rng, candidates, item)
    if chosen:
        draft.row(chosen).response = rng.choice(("Not applicable", "N/A", "n/a"))
        draft.flag("R02", chosen)
    return chosen


def conflicting_duplicate(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R02: the same item twice with different answers."""
    chosen = _pick(draft, rng, _plain_items(draft, ("yes_no",)), item)
    if chosen:
        row = draft.row(chosen)
        other = "No" if draft.clean[chosen] == "Yes" else "Yes"
        draft.rows.insert(draft.rows.index(row) + 1, make_row(chosen, other, rng, 0))
        draft.flag("R02", chosen)
    return chosen


def _not_applicable_items(draft: Draft) -> list[str]:
    org, cycle = draft.org, draft.cycle
    return [
        item.item_id
        for item in items().values()
        if item.first_cycle <= cycle
        and not item.applies(cycle, org.provider_type, org.org_type)
        and item.item_id not in PARENTS
        and not item.parent_item
        and item.item_id not in draft.touched
    ]


def answered_not_applicable(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R03: a row for an item that does not apply to the trust (e.g. an S4 row from a universal trust)."""
    chosen = _pick_outside(draft, rng, item)
    if chosen:
        answer = {"yes_no": "Yes", "count": 12, "wte": 1.5, "hours": 20.5}[items()[chosen].response_type]
        draft.rows.append(make_row(chosen, answer, rng, 0))
        draft.flag("R03", chosen, exclude=False)
    return chosen


def _pick_outside(draft: Draft, rng: random.Random, item: str | None) -> str | None:
    candidates = _not_applicable_items(draft)
    if item is not None:
        return item if item in candidates else None
    return rng.choice(candidates) if candidates else None


def follow_on_with_parent_no(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R04: a follow-on answered although its parent is No (the answer is ignored)."""
    dead = [
        item_id
        for item_id in draft.clean
        if items()[item_id].parent_item
        and draft.clean.get(items()[item_id].parent_item) == "No"
        and item_id not in draft.touched
    ]
    chosen = _pick(draft, rng, dead, item)
    if chosen:
        draft.row(chosen).response = rng.choice(("Yes", "No"))
        draft.flag("R04", chosen)
    return chosen


def part_exceeds_whole(draft: Draft, rng: random.Random, item: str | None = None) -> str | None:
    """R05: a part larger than its whole (flag on the part; the whole stays valid)."""
    candidates = [
        part
        for part, whole in PART_OF.items()
        if isinstance(draft.clean.get(whole), int)
        and isinstance(draft.clean.get(part), int)
        and int(draft.clean[whole]) >= 1  # type: ignore[arg-type]
        and part not in draft.touched
        and whole not in draft.touched
    ]
    chosen = _pick(draft, rng, candidates, item)
    if chosen:
        whole = int(draft.clean[PART_OF[chosen]])  # type: ignore[arg-type]
        part = int(draft.clean[chosen])  # type: ignore[arg-type]
        typo = part * 10 + rng.randint(0, 9)
        draft.row(chosen).response = typo if typo > whole else whole + rng.randint(1, max(1, whole // 3))
        draft.flag("R05", chosen)
        draft.touched.add(PART_OF[chosen])
    return chosen


PLANTERS: dict[str, Planter] = {
    "R01_blank": blank_answer,
    "R01_missing_row": missing_row,
    "R01_follow_on_blank": follow_on_blank,
    "R02_text_in_count": text_in_count,
    "R02_negative_count": negative_count,
    "R02_fractional_count": fractional_count,
    "R02_maybe": maybe_answer,
    "R02_y_or_n": y_or_n,
    "R02_not_applicable_not_allowed": not_applicable_not_allowed,
    "R02_conflicting_duplicate": conflicting_duplicate,
    "R03_not_applicable_answered": answered_not_applicable,
    "R04_follow_on_parent_no": follow_on_with_parent_no,
    "R05_part_exceeds_whole": part_exceeds_whole,
}
