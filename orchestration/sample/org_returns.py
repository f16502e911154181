"""The organisational returns of one cycle: who sends which workbooks, and what is planted in them.

Per cycle (see `PLANS`): most completing trusts send one clean (but messy) workbook; some carry
item faults that stay open; some resubmit a corrected workbook later (their first workbook's
flags become `resolved_by_resubmission`; one of them leaves one fault in, which stays open); one
sends an older draft whose `Submitted at` is earlier than its first workbook's (the first stays
current); some send a file rejected at file level and then an accepted one; a few non-completing
trusts send only rejected files; one or two use last year's template (F05, accepted); one or two
files arrive twice byte for byte under another name (F06); organisations that are not registered
send returns (F03).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from orchestration.sample import mess
from orchestration.sample.answers import Answers, FeedTotals, Value, clean_answers
from orchestration.sample.draft import Draft, add_identical_duplicates, build_draft, with_blank_rows
from orchestration.sample.errors import PLANTERS
from orchestration.sample.files import Namer, earlier_time, later_time, submission_time, submission_time_on
from orchestration.sample.participation import choose_non_completers, collection_window, open_in_cycle
from orchestration.sample.register import Organisation, classify_org_type, non_english_codes
from orchestration.sample.rng import stream, unit
from orchestration.sample.workbook import (
    COVER_LABELS,
    CellValue,
    WorkbookLayout,
    encrypt_workbook,
    render_csv,
    render_workbook,
)

ALL_ITEM_FAULTS = tuple(PLANTERS)
FILE_FAULTS = (
    "F01_encrypted",
    "F01_csv",
    "F01_empty",
    "F02_return_sheet",
    "F02_cover_sheet",
    "F02_column",
    "F02_cover_field",
    "F02_cover_org_code",
    "F04_collection_year",
)
FAULT_DETAIL = {
    "F01_encrypted": "password-protected workbook",
    "F01_csv": "CSV text saved with an .xlsx name",
    "F01_empty": "empty 0-byte file",
}
UNREADABLE_ORG = {"F01_encrypted", "F01_csv", "F01_empty", "F02_cover_sheet", "F02_cover_org_code"}
MESSINESS_WEIGHTS = (0.45, 0.35, 0.2)


@dataclass(frozen=True)
class CyclePlan:
    open_item_faults: tuple[str, ...]
    resubmit_fixed: int
    resubmit_partial: int
    resubmit_earlier: int
    reject_then_accept: tuple[str, ...]
    rejected_only: tuple[str, ...]
    template_mismatch: int
    copies: int
    unregistered: tuple[str, ...]  # "welsh" | "not_registered"


PLANS: dict[int, CyclePlan] = {
    2018: CyclePlan(
        open_item_faults=ALL_ITEM_FAULTS,
        resubmit_fixed=5,
        resubmit_partial=0,
        resubmit_earlier=0,
        reject_then_accept=("F02_column", "F01_empty", "F04_collection_year"),
        rejected_only=("F02_return_sheet",),
        template_mismatch=1,
        copies=1,
        unregistered=("welsh",),
    ),
    2019: CyclePlan(
        open_item_faults=(*ALL_ITEM_FAULTS, "R02_maybe", "R05_part_exceeds_whole"),
        resubmit_fixed=7,
        resubmit_partial=1,
        resubmit_earlier=1,
        reject_then_accept=("F02_cover_sheet", "F01_csv", "F04_collection_year"),
        rejected_only=("F02_cover_org_code", "F01_encrypted"),
        template_mismatch=1,
        copies=1,
        unregistered=("not_registered",),
    ),
    2020: CyclePlan(
        open_item_faults=(
            *ALL_ITEM_FAULTS,
            "R02_maybe",
            "R01_blank",
            "R05_part_exceeds_whole",
            "R02_text_in_count",
            "R01_missing_row",
            "R02_y_or_n",
            "R04_follow_on_parent_no",
            "R03_not_applicable_answered",
        ),
        resubmit_fixed=10,
        resubmit_partial=1,
        resubmit_earlier=1,
        reject_then_accept=(
            "F02_return_sheet",
            "F02_column",
            "F02_cover_field",
            "F01_encrypted",
            "F01_csv",
            "F04_collection_year",
        ),
        rejected_only=("F02_column", "F01_empty", "F04_collection_year"),
        template_mismatch=2,
        copies=2,
        unregistered=("welsh", "not_registered"),
    ),
}


def plan_for(cycle: int) -> CyclePlan:
    return PLANS.get(cycle, PLANS[2020])


@dataclass
class Submission:
    cycle: int
    intended_org: str
    filename: str
    data: bytes
    submitted_at: dt.datetime | None  # as written in the Cover (None when that field is missing)
    arrived_at: dt.datetime  # file modification time
    outcome: str  # accepted | rejected
    file_rule: str | None
    org_code: str | None  # as the warehouse can read it (trimmed, upper-case); None if unreadable
    org_code_written: str | None
    note: str
    item_flags: list[tuple[str, str]] = field(default_factory=list)
    truth: dict[str, Value] | None = None
    copy_of: str | None = None
    is_current: bool = False


@dataclass
class CycleContext:
    seed: int
    cycle: int
    register: list[Organisation]
    registered: list[Organisation]
    answers: dict[str, Answers]
    namer: Namer = field(default_factory=Namer)
    submissions: list[Submission] = field(default_factory=list)

    def rng(self, *keys: object) -> random.Random:
        return stream(self.seed, "org_returns", self.cycle, *keys)


# ---------------------------------------------------------------- drafts and layouts


def messiness_of(seed: int, code: str) -> int:
    u = unit(seed, "messiness", code)
    return 0 if u < MESSINESS_WEIGHTS[0] else (1 if u < MESSINESS_WEIGHTS[0] + MESSINESS_WEIGHTS[1] else 2)


def new_draft(ctx: CycleContext, org: Organisation, version: str) -> Draft:
    answers = ctx.answers.get(org.org_code) or clean_answers(ctx.seed, ctx.cycle, [org])[org.org_code]
    rng = ctx.rng("draft", org.org_code, version)
    return build_draft(org, ctx.cycle, answers, rng, messiness_of(ctx.seed, org.org_code))


def cover_fields(
    draft: Draft, rng: random.Random, when: dt.datetime, template: str, year: int
) -> list[tuple[str, CellValue]]:
    """(canonical label, value) in template order."""
    m = draft.messiness
    name = draft.org.org_name if rng.random() < 0.6 else mess.title_name(draft.org.org_name)
    values: tuple[CellValue, ...] = (
        mess.org_code_text(draft.org.org_code, rng, m),
        name,
        mess.collection_year(year, rng, m),
        mess.person(rng),
        mess.submitted_at_text(when, rng, m),
        template,
    )
    return list(zip(COVER_LABELS, values, strict=True))


def layout_for(
    draft: Draft,
    rng: random.Random,
    when: dt.datetime,
    template: str | None = None,
    year: int | None = None,
    drop_cover: str | None = None,
) -> WorkbookLayout:
    m = draft.messiness
    cover = cover_fields(draft, rng, when, template or f"LDIS-{draft.cycle}", year or draft.cycle)
    add_identical_duplicates(draft, rng)
    author = str(cover[3][1]).split(" (")[0]
    return WorkbookLayout(
        cover=[(mess.label(label, rng, m), value) for label, value in cover if label != drop_cover],
        rows=with_blank_rows(draft.rows, rng, m),
        cover_sheet=mess.label("Cover", rng, m),
        return_sheet=mess.label("Return", rng, m),
        header=tuple(mess.label(text, rng, m) for text in ("Item ID", "Section", "Question", "Response", "Comment")),
        blank_rows_before_header=rng.randint(1, 2) if m == 2 else (1 if m == 1 and rng.random() < 0.3 else 0),
        formatted_blanks=rng.random() < 0.5,
        created=when.astimezone(mess.LONDON).replace(tzinfo=None),
        author=author,
        company=mess.title_name(draft.org.org_name),
    )


def written_code(layout: WorkbookLayout) -> str | None:
    return next((str(v) for label, v in layout.cover if label.strip().lower() == "organisation code"), None)


def accepted(
    ctx: CycleContext, draft: Draft, name: str, when: dt.datetime, note: str, template: str | None = None
) -> Submission:
    rng = ctx.rng("layout", name)
    layout = layout_for(draft, rng, when, template=template)
    submission = Submission(
        cycle=ctx.cycle,
        intended_org=draft.org.org_code,
        filename=name,
        data=render_workbook(layout),
        submitted_at=when,
        arrived_at=when,
        outcome="accepted",
        file_rule="F05" if template else None,
        org_code=draft.org.org_code,
        org_code_written=written_code(layout),
        note=note,
        item_flags=list(draft.flags),
        truth=dict(draft.truth),
    )
    ctx.submissions.append(submission)
    return submission


# ---------------------------------------------------------------- file-level faults


def _fault_layout(draft: Draft, rng: random.Random, when: dt.datetime, fault: str) -> tuple[WorkbookLayout, str]:
    if fault == "F04_collection_year":
        return layout_for(draft, rng, when, year=draft.cycle - 1), f"Collection year {draft.cycle - 1}"
    if fault == "F02_cover_field":
        missing = rng.choice(("Submitted at", "Submitted by", "Template version", "Collection year"))
        return layout_for(draft, rng, when, drop_cover=missing), f"Cover field '{missing}' missing"
    if fault == "F02_cover_org_code":
        return layout_for(draft, rng, when, drop_cover="Organisation code"), "Cover field 'Organisation code' missing"
    layout = layout_for(draft, rng, when)
    if fault == "F02_return_sheet":
        layout.return_sheet = rng.choice(("Sheet1", "Return form", "Org return"))
        return layout, f"Return sheet renamed '{layout.return_sheet}'"
    if fault == "F02_cover_sheet":
        layout.cover_sheet = rng.choice(("Front sheet", "Sheet2", "Details"))
        return layout, f"Cover sheet renamed '{layout.cover_sheet}'"
    if fault == "F02_column":
        layout.dropped_column = rng.choice((1, 2, 4))
        return layout, f"column '{layout.header[layout.dropped_column].strip()}' deleted"
    return layout, FAULT_DETAIL.get(fault, fault)


def _fault_bytes(layout: WorkbookLayout, fault: str, rng: random.Random, when: dt.datetime) -> bytes:
    if fault == "F01_encrypted":
        moment = when.astimezone(mess.LONDON).replace(tzinfo=None)
        return encrypt_workbook(render_workbook(layout), "LDIS" + str(rng.randint(1000, 9999)), rng, moment)
    if fault == "F01_csv":
        return render_csv(layout)
    if fault == "F01_empty":
        return b""
    return render_workbook(layout)


def rejected(ctx: CycleContext, draft: Draft, name: str, when: dt.datetime, fault: str) -> Submission:
    rng = ctx.rng("fault", name)
    layout, detail = _fault_layout(draft, rng, when, fault)
    readable = fault not in UNREADABLE_ORG
    submission = Submission(
        cycle=ctx.cycle,
        intended_org=draft.org.org_code,
        filename=name,
        data=_fault_bytes(layout, fault, rng, when),
        submitted_at=when if readable and "Submitted at" not in detail else None,
        arrived_at=when,
        outcome="rejected",
        file_rule=fault[:3],
        org_code=draft.org.org_code if readable else None,
        org_code_written=written_code(layout) if readable else None,
        note=f"{fault}: {detail}",
    )
    ctx.submissions.append(submission)
    return submission


# ---------------------------------------------------------------- scenarios


def plant(draft: Draft, rng: random.Random, faults: list[str], wanted: int) -> list[tuple[str, str]]:
    """Plant `wanted` item faults drawn from `faults`; returns (fault, item) planted."""
    planted: list[tuple[str, str]] = []
    for fault in rng.sample(faults, len(faults)):
        if len(planted) == wanted:
            break
        item = PLANTERS[fault](draft, rng, None)
        if item:
            planted.append((fault, item))
    return planted


def describe(planted: list[tuple[str, str]]) -> str:
    return ", ".join(f"{fault} on {item}" for fault, item in planted) or "clean"


def early_time(ctx: CycleContext, rng: random.Random) -> dt.datetime:
    """A first submission early enough to leave room for a resubmission inside the window."""
    start, _ = collection_window(ctx.cycle)
    return submission_time_on(start + dt.timedelta(days=rng.randint(12, 70)), rng)


def resubmit_fixed(ctx: CycleContext, org: Organisation, partial: bool) -> None:
    rng = ctx.rng("resubmit_fixed", org.org_code)
    first = new_draft(ctx, org, "v1")
    planted = plant(first, rng, list(ALL_ITEM_FAULTS), 2 if partial or rng.random() < 0.4 else 1)
    t1 = early_time(ctx, rng)
    name1 = ctx.namer.first(org, ctx.cycle, rng)
    accepted(ctx, first, name1, t1, f"first version: {describe(planted)}")
    second = new_draft(ctx, org, "v2")
    kept = planted[:1] if partial else []
    for fault, item in kept:
        PLANTERS[fault](second, rng, item)
    note = f"corrected resubmission, still {describe(kept)}" if kept else "corrected resubmission"
    accepted(ctx, second, ctx.namer.resubmission(name1, rng), later_time(t1, rng), note)


def stale_flips(draft: Draft, rng: random.Random, count: int = 2) -> None:
    """An older draft: a couple of yes/no answers differ from the final return."""
    plain = [row for row in draft.rows if str(row.response).strip().lower() in ("yes", "no")]
    plain = [row for row in plain if row.item_id.strip().upper() not in ("S4.01", "S4.11")]
    for row in rng.sample(plain, min(count, len(plain))):
        row.response = "No" if str(row.response).strip().lower() == "yes" else "Yes"
        draft.touched.add(row.item_id.strip().upper())


def resubmit_earlier(ctx: CycleContext, org: Organisation) -> None:
    rng = ctx.rng("resubmit_earlier", org.org_code)
    final = new_draft(ctx, org, "final")
    t1 = early_time(ctx, rng)
    name1 = ctx.namer.first(org, ctx.cycle, rng)
    accepted(ctx, final, name1, t1, "current: a later-arriving file has an earlier Submitted at")
    older = new_draft(ctx, org, "older")
    stale_flips(older, rng)
    planted = plant(older, rng, ["R02_maybe", "R02_y_or_n"], 1)
    stale = accepted(ctx, older, ctx.namer.resubmission(name1, rng), earlier_time(t1, rng), "")
    stale.arrived_at = later_time(t1, rng, 2, 6)
    stale.note = f"older draft sent after the final one (earlier Submitted at): {describe(planted)}"


def reject_then_accept(ctx: CycleContext, org: Organisation, fault: str) -> None:
    rng = ctx.rng("reject_then_accept", org.org_code)
    t1 = early_time(ctx, rng)
    name1 = ctx.namer.first(org, ctx.cycle, rng)
    rejected(ctx, new_draft(ctx, org, "rejected"), name1, t1, fault)
    name2 = ctx.namer.resubmission(name1, rng)
    accepted(ctx, new_draft(ctx, org, "fixed"), name2, later_time(t1, rng), "resent after rejection")


def rejected_only(ctx: CycleContext, org: Organisation, fault: str) -> None:
    rng = ctx.rng("rejected_only", org.org_code)
    when = submission_time(ctx.cycle, rng)
    rejected(ctx, new_draft(ctx, org, "rejected"), ctx.namer.first(org, ctx.cycle, rng), when, fault)


def template_mismatch(ctx: CycleContext, org: Organisation) -> None:
    rng = ctx.rng("template_mismatch", org.org_code)
    name = ctx.namer.first(org, ctx.cycle, rng)
    template = f"LDIS-{ctx.cycle - 1}"
    accepted(ctx, new_draft(ctx, org, "old_template"), name, submission_time(ctx.cycle, rng), f"uses {template}", template)


def with_copy(ctx: CycleContext, org: Organisation) -> None:
    rng = ctx.rng("copy", org.org_code)
    when = submission_time(ctx.cycle, rng, 0.8)
    original = accepted(ctx, new_draft(ctx, org, "original"), ctx.namer.first(org, ctx.cycle, rng), when, "clean")
    copy = Submission(
        **{**original.__dict__, "filename": ctx.namer.copy(original.filename), "item_flags": [], "truth": None},
    )
    copy.file_rule, copy.copy_of, copy.note = "F06", original.filename, "byte-identical copy"
    copy.arrived_at = later_time(when, rng, 1, 3)
    ctx.submissions.append(copy)


def single(ctx: CycleContext, draft: Draft, note: str) -> None:
    rng = ctx.rng("single", draft.org.org_code)
    name = ctx.namer.first(draft.org, ctx.cycle, rng)
    accepted(ctx, draft, name, submission_time(ctx.cycle, rng), note)


def open_item_faults(ctx: CycleContext, pool: list[Organisation], faults: tuple[str, ...]) -> None:
    """Plant each fault on some trust's only workbook (a trust takes at most two)."""
    rng = ctx.rng("open_faults")
    drafts = {org.org_code: new_draft(ctx, org, "only") for org in pool}
    notes: dict[str, list[tuple[str, str]]] = {org.org_code: [] for org in pool}
    for fault in faults:
        once = [o for o in pool if len(notes[o.org_code]) == 1]
        fresh = [o for o in pool if not notes[o.org_code]]
        candidates = (once if rng.random() < 0.3 else []) + fresh + once
        for org in candidates:
            item = PLANTERS[fault](drafts[org.org_code], rng, None)
            if item:
                notes[org.org_code].append((fault, item))
                break
    for org in pool:
        single(ctx, drafts[org.org_code], describe(notes[org.org_code]))


def outsider(ctx: CycleContext, kind: str) -> Organisation:
    rng = ctx.rng("outsider", kind)
    if kind == "welsh":
        code, name = rng.choice(non_english_codes())
        return Organisation(code, name, "universal", classify_org_type(code, name), "Wales", dt.date(1990, 1, 1), None)
    registered = {org.org_code for org in ctx.registered}
    pool = [
        org
        for org in ctx.register
        if org.org_code not in registered and open_in_cycle(org, ctx.cycle) and org.provider_type == "universal"
    ]
    return rng.choice(pool)


def unregistered(ctx: CycleContext, kind: str) -> None:
    org = outsider(ctx, kind)
    rng = ctx.rng("unregistered", org.org_code)
    draft = new_draft(ctx, org, "unregistered")
    submission = accepted(ctx, draft, ctx.namer.first(org, ctx.cycle, rng), submission_time(ctx.cycle, rng), "")
    submission.outcome, submission.file_rule, submission.truth = "rejected", "F03", None
    submission.item_flags = []
    submission.note = f"F03: {'non-English trust' if kind == 'welsh' else 'trust not registered for the cycle'}"


def generate_cycle(seed: int, cycle: int, register: list[Organisation], registered: list[Organisation],
                   feeds: FeedTotals | None = None) -> list[Submission]:
    """Every organisational-return file of the cycle, in the order they are written (`feeds`: what
    each trust's incident feed says for RI.03-RI.08, which its return states)."""
    ctx = CycleContext(seed, cycle, register, registered, clean_answers(seed, cycle, registered, feeds))
    plan = plan_for(cycle)
    non_completers = choose_non_completers(seed, registered, cycle)
    skip = {org.org_code for org in non_completers}
    pool = [org for org in registered if org.org_code not in skip]
    ctx.rng("assign").shuffle(pool)
    for _ in range(plan.resubmit_earlier):
        resubmit_earlier(ctx, pool.pop())
    for index in range(plan.resubmit_fixed + plan.resubmit_partial):
        resubmit_fixed(ctx, pool.pop(), partial=index >= plan.resubmit_fixed)
    for fault in plan.reject_then_accept:
        reject_then_accept(ctx, pool.pop(), fault)
    for _ in range(plan.template_mismatch):
        template_mismatch(ctx, pool.pop())
    for _ in range(plan.copies):
        with_copy(ctx, pool.pop())
    open_item_faults(ctx, pool, plan.open_item_faults)
    silent = list(non_completers)
    ctx.rng("silent").shuffle(silent)
    for fault in plan.rejected_only:
        rejected_only(ctx, silent.pop(), fault)
    for kind in plan.unregistered:
        unregistered(ctx, kind)
    return ctx.submissions
