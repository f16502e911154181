"""What the two survey generators share: the survey catalogues, how many responses each trust
sends, arrival times, the contract's counting rules (deduplicate, quarantine, cap) applied to the
planted rows, and the oracle for survey indicators and survey participation.

The counting rules are applied here in plain Python, independently of the warehouse (which does
it in DuckDB SQL and GX): the generator writes rows, resolves which of them count exactly as the
contract says, and records that resolution as the truth the end-to-end test checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from orchestration.sample.catalogue import CATALOGUE_DIR, Indicator, indicators, read_csv
from orchestration.sample.oracle import RegisterRow, round_half_up
from orchestration.sample.participation import collection_window
from orchestration.sample.rng import stream

LONDON = ZoneInfo("Europe/London")
SURVEY_SOURCES = ("staff_survey", "service_user_survey")


@dataclass(frozen=True)
class Question:
    question_id: str
    answer_scale: str  # likert | yes_no_dontknow (staff); 'codes' (service users)
    asked_of: str  # all | specialist | universal
    parent_item: str | None  # routing: only asked when the parent's answer is in parent_values
    parent_values: tuple[str, ...]


@cache
def staff_questions() -> dict[str, Question]:
    return {
        row["question_id"]: Question(row["question_id"], row["answer_scale"], row["asked_of"] or "all", None, ())
        for row in read_csv(CATALOGUE_DIR / "staff_survey_questions.csv")
    }


@cache
def staff_scales() -> dict[str, tuple[str, ...]]:
    scales: dict[str, list[tuple[int, str]]] = {}
    for row in read_csv(CATALOGUE_DIR / "staff_survey_scales.csv"):
        scales.setdefault(row["answer_scale"], []).append((int(row["order"]), row["answer"]))
    return {name: tuple(answer for _, answer in sorted(rows)) for name, rows in scales.items()}


def _routing(text: str) -> tuple[str | None, tuple[str, ...]]:
    """'only if SU08 = 1' -> ('SU08', ('1',)); anything else (e.g. '4 = did not stay') -> no parent."""
    words = text.replace("=", " = ").split()
    if len(words) >= 5 and words[0].lower() == "only" and words[1].lower() == "if" and words[3] == "=":
        return words[2].upper(), tuple(words[4].split("|"))
    return None, ()


@cache
def service_user_questions() -> dict[str, Question]:
    questions = {}
    for row in read_csv(CATALOGUE_DIR / "service_user_survey_questions.csv"):
        parent, values = _routing(row["routing"])
        questions[row["question_id"]] = Question(row["question_id"], "codes", "all", parent, values)
    return questions


@cache
def service_user_codes() -> dict[str, bool]:
    """code -> counts as an answer."""
    return {row["code"]: row["counts_as_answer"] == "Y" for row in read_csv(CATALOGUE_DIR / "service_user_survey_codes.csv")}


@cache
def survey_indicators(source: str | None = None) -> tuple[Indicator, ...]:
    return tuple(ind for ind in indicators() if ind.source in SURVEY_SOURCES and (source is None or ind.source == source))


@cache
def numerator_share(source: str, question_id: str, provider_type: str, cycle: int) -> tuple[tuple[str, ...], float]:
    """The indicator's numerator set and the share that should land in it for this population, from
    `report_2020_value` (a population-specific indicator wins over 'all'); 2 points lower per year
    before 2020 for 'good' answers. No indicator: (('',), 0.6)."""
    chosen = None
    for ind in survey_indicators(source):
        if ind.item_id != question_id or ind.report_2020_value is None:
            continue
        if ind.population == provider_type or (ind.population == "all" and chosen is None):
            chosen = ind
    if chosen is None:
        return (), 0.6
    share = chosen.report_2020_value / 100
    drift = 0.02 * max(0, 2020 - cycle)
    return chosen.numerator, min(0.98, max(0.02, share - drift if share >= 0.5 else share + drift))


# ---------------------------------------------------------------- how many responses each trust sends

def responding_trusts(seed: int, source: str, registered: Sequence[str], target_2020: int, registered_2020: int,
                      cycle: int) -> list[str]:
    """The registered trusts that send at least one response: the 2020 share of the report."""
    count = round(len(registered) * target_2020 / registered_2020)
    if cycle == 2020 and len(registered) >= target_2020:
        count = target_2020
    rng = stream(seed, source, "responding", cycle)
    ranked = sorted(registered, key=lambda code: (rng.random(), code))
    return sorted(ranked[:count])


def allocate(seed: int, source: str, cycle: int, trusts: Sequence[str], total: int, cap: int,
             minimum: int) -> dict[str, int]:
    """Counted responses per trust, exactly `total` in all, each between `minimum` and `cap`, with a
    spread that leaves a few trusts below 10 (their trust-level figures are not published)."""
    rng = stream(seed, source, "allocate", cycle)
    weights = {code: 0.12 + rng.random() for code in trusts}
    scale = total / sum(weights.values())
    counts = {code: max(minimum, min(cap, int(weight * scale))) for code, weight in weights.items()}
    order = sorted(trusts, key=lambda code: (-weights[code], code))
    counts[order[0]] = cap  # the busiest trust fills the cap exactly (it also sends more: Q02)
    adjustable = order[1:] or order
    step = 0
    while sum(counts.values()) != total and step < 100 * len(trusts) + total:
        code = adjustable[step % len(adjustable)]
        if sum(counts.values()) < total and counts[code] < cap:
            counts[code] += 1
        elif sum(counts.values()) > total and counts[code] > minimum:
            counts[code] -= 1
        step += 1
    return counts


def arrival_times(rng, cycle: int, count: int) -> list[dt.datetime]:
    """Naive local (Europe/London) times within the cycle's collection window, to the second, sorted."""
    opens, closes = collection_window(cycle)
    start = dt.datetime.combine(opens, dt.time(8, 0))
    span = int((dt.datetime.combine(closes, dt.time(18, 0)) - start).total_seconds())
    return sorted(start + dt.timedelta(seconds=rng.randrange(span)) for _ in range(count))


def to_utc(local: dt.datetime) -> dt.datetime:
    return local.replace(tzinfo=LONDON, fold=0).astimezone(dt.UTC)


# ---------------------------------------------------------------- rows written and how they resolve

@dataclass
class SurveyRow:
    """One CSV row as written (answers as text), plus what the generator knows about it."""

    key: str  # response_id / form_id
    org_code: str  # as written
    stamp: dt.datetime  # naive local time written in submitted_at / scanned_at
    answers: dict[str, str]  # question -> text written ('' = blank)
    file: str = ""  # landing path (relative) once assigned
    row_number: int = 0
    batch_id: str = ""

    @property
    def instant(self) -> dt.datetime:
        return to_utc(self.stamp)


@dataclass
class Resolution:
    kept: dict[str, SurveyRow] = field(default_factory=dict)  # key -> the copy that is kept
    duplicates: dict[str, int] = field(default_factory=dict)  # key -> copies received (> 1)
    quarantined: list[SurveyRow] = field(default_factory=list)
    over_cap: list[SurveyRow] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)  # org -> responses after dedupe + quarantine
    counted: list[SurveyRow] = field(default_factory=list)


def resolve(rows: Iterable[SurveyRow], registered: set[str], cap: int, keep_latest: bool) -> Resolution:
    """The contract: one copy per id (staff: earliest submitted_at; service users: latest scan; a tie
    keeps the copy read first), responses naming an organisation not registered for the survey are
    quarantined, then the earliest `cap` per trust by the kept copy's time count (ties by id)."""
    result = Resolution()
    copies: dict[str, list[SurveyRow]] = {}
    for row in rows:
        copies.setdefault(row.key, []).append(row)
    for key, found in copies.items():
        if keep_latest:
            best = max(found, key=lambda r: (r.instant, -found.index(r)))
        else:
            best = min(found, key=lambda r: (r.instant, found.index(r)))
        result.kept[key] = best
        if len(found) > 1:
            result.duplicates[key] = len(found)
    by_org: dict[str, list[SurveyRow]] = {}
    for row in result.kept.values():
        org = row.org_code.strip().upper()
        if org not in registered:
            result.quarantined.append(row)
        else:
            by_org.setdefault(org, []).append(row)
    for org, found in by_org.items():
        found.sort(key=lambda r: (r.instant, r.key))
        result.received[org] = len(found)
        result.counted.extend(found[:cap])
        result.over_cap.extend(found[cap:])
    return result


# ---------------------------------------------------------------- the oracle

@dataclass(frozen=True)
class CountedResponse:
    """A response that counts, with its answers as the warehouse should read them: the canonical
    scale answer / code, or None when blank or invalid (Q04)."""

    source: str
    cycle_year: int
    org_code: str
    key: str
    answers: Mapping[str, str | None]


def _parent_ok(indicator: Indicator, answers: Mapping[str, str | None]) -> bool:
    return not indicator.parent_item or answers.get(indicator.parent_item) in indicator.parent_values


def share(indicator: Indicator, responses: Iterable[CountedResponse]) -> tuple[int, int, float | None]:
    numerator = denominator = 0
    for response in responses:
        value = response.answers.get(indicator.item_id)
        if value in indicator.denominator and _parent_ok(indicator, response.answers):
            denominator += 1
            numerator += value in indicator.numerator
    return numerator, denominator, (round_half_up(Decimal(100) * numerator / denominator) if denominator else None)


def national_survey_indicators(register: Iterable[RegisterRow], responses: Sequence[CountedResponse],
                               cycles: Iterable[int]) -> dict[tuple[int, str], tuple[int, int, float | None]]:
    provider = {row.org_code: row.provider_type for row in register}
    result = {}
    for cycle in sorted(set(cycles)):
        for indicator in survey_indicators():
            chosen = [r for r in responses if r.cycle_year == cycle and r.source == indicator.source
                      and (indicator.population == "all" or provider.get(r.org_code) == indicator.population)]
            result[(cycle, indicator.indicator_id)] = share(indicator, chosen)
    return dict(sorted(result.items()))


def trust_survey_indicators(register: Iterable[RegisterRow], responses: Sequence[CountedResponse],
                            cycles: Iterable[int]) -> dict[tuple[int, str, str], tuple[int, int, float | None]]:
    """(cycle, indicator, org) -> (numerator, denominator, value) for every trust of the indicator's
    population with at least one counted response to that survey."""
    provider = {row.org_code: row.provider_type for row in register}
    by_trust: dict[tuple[int, str, str], list[CountedResponse]] = {}
    for response in responses:
        by_trust.setdefault((response.cycle_year, response.source, response.org_code), []).append(response)
    result = {}
    for (cycle, source, org), found in sorted(by_trust.items()):
        if cycle not in set(cycles):
            continue
        for indicator in survey_indicators(source):
            if indicator.population in ("all", provider.get(org)):
                result[(cycle, indicator.indicator_id, org)] = share(indicator, found)
    return result


def survey_participation(register: Iterable[RegisterRow], responses: Sequence[CountedResponse]
                         ) -> dict[tuple[int, str, str], dict[str, int]]:
    """(cycle, provider_type, org_type) -> trusts with responses and responses, per survey, with the
    'all' subtotal and total rows."""
    by_code = {row.org_code: row for row in register}
    names = {"staff_survey": ("trusts_with_staff_responses", "staff_responses"),
             "service_user_survey": ("trusts_with_service_user_responses", "service_user_responses")}
    result: dict[tuple[int, str, str], dict[str, int]] = {}
    seen: set[tuple[int, str, str, str, str]] = set()
    for response in responses:
        row = by_code[response.org_code]
        trusts_col, responses_col = names[response.source]
        for group in ((row.provider_type, row.org_type), (row.provider_type, "all"), ("all", "all")):
            key = (response.cycle_year, *group)
            counts = result.setdefault(key, {column: 0 for pair in names.values() for column in pair})
            counts[responses_col] += 1
            marker = (*key, response.source, response.org_code)
            if marker not in seen:
                seen.add(marker)
                counts[trusts_col] += 1
    return dict(sorted(result.items()))


# ---------------------------------------------------------------- the shared engine of the two generators

@dataclass(frozen=True)
class SurveySpec:
    """What differs between the staff survey and the service-user survey."""

    source: str
    folder: str  # landing sub-folder of the cycle
    registered_flag: str  # ParticipantRow attribute
    cap: int
    keep_latest: bool  # service users: latest scan; staff: earliest submission
    target_2020: tuple[int, int, int]  # (responding trusts, counted responses, registered trusts) of the report
    per_trust_before_2020: Mapping[int, float]  # invented mean counted responses per trust
    minimum: int
    over_cap_extra: int
    files: int
    questions: Mapping[str, Question]


@dataclass
class SurveyCycle:
    files: dict[str, bytes] = field(default_factory=dict)  # landing path -> bytes
    arrived: dict[str, dt.datetime] = field(default_factory=dict)  # landing path -> UTC arrival
    flags: list[tuple[str, str | None, str | None, str | None, str]] = field(default_factory=list)
    # (rule_id, org_code, item_id, response key, file)
    counted: list[CountedResponse] = field(default_factory=list)


def unregistered_codes(spec: SurveySpec, register: Sequence[RegisterRow], participants: Sequence[object]) -> list[str]:
    """A register trust that is not registered for this survey in the cycle, and a Welsh health
    board's code that is in no register of the English collection."""
    registered = {p.org_code for p in participants if getattr(p, spec.registered_flag)}
    outsider = next((row.org_code for row in register if row.org_code not in registered), None)
    return [code for code in (outsider, "7A1") if code]


class SurveyWriter:
    """Hooks each survey module implements (answers, ids, validity, CSV layout)."""

    spec: SurveySpec

    def new_key(self, rng, cycle: int, index: int) -> str:
        raise NotImplementedError

    def draw_answers(self, rng, provider_type: str, cycle: int) -> dict[str, str]:
        raise NotImplementedError

    def canonical(self, question_id: str, text: str) -> str | None:
        """The answer as the warehouse should read it: canonical option/code, None if blank/invalid."""
        raise NotImplementedError

    def is_invalid(self, question_id: str, text: str) -> bool:
        raise NotImplementedError

    def invalid_value(self, rng, question_id: str) -> str:
        raise NotImplementedError

    def asked(self, question_id: str, provider_type: str) -> bool:
        asked_of = self.spec.questions[question_id].asked_of
        return asked_of in ("all", provider_type)

    def counts_as_answer(self, question_id: str, answers: Mapping[str, str | None]) -> bool:
        """A valid answer to the question that the routing lets count (Q05's 'valid responses')."""
        return answers.get(question_id) is not None

    def extra_plants(self, rng, counted: list[SurveyRow], provider: Mapping[str, str], out: SurveyCycle) -> None:
        """Survey-specific faults on counted rows (service users: SU09 answered after SU08 = 2)."""

    def routing_violations(self, answers: Mapping[str, str | None]) -> list[str]:
        """Questions answered where the routing says to skip (Q06); none for the staff survey."""
        return []

    def render(self, rows: Sequence[SurveyRow], file_index: int, cycle: int) -> bytes:
        raise NotImplementedError

    def file_name(self, cycle: int, index: int) -> str:
        raise NotImplementedError


def _changed(writer: SurveyWriter, rng, row: SurveyRow, provider_type: str, cycle: int) -> dict[str, str]:
    """A copy's answers with one asked question answered differently (a re-scan or re-export)."""
    answers = dict(row.answers)
    fresh = writer.draw_answers(rng, provider_type, cycle)
    options = [q for q in answers if writer.asked(q, provider_type) and fresh[q] and fresh[q] != answers[q]
               and not writer.is_invalid(q, fresh[q])]
    if options:
        question = options[rng.randrange(len(options))]
        answers[question] = fresh[question]
    return answers


def generate_survey_cycle(writer: SurveyWriter, seed: int, cycle: int, register: Sequence[RegisterRow],
                          participants: Sequence[object], scale: int = 1) -> SurveyCycle:
    """Rows for every responding trust, the planted faults, the files, and the truth."""
    spec = writer.spec
    provider = {row.org_code: row.provider_type for row in register}
    registered = sorted(p.org_code for p in participants if getattr(p, spec.registered_flag))
    target_trusts, target_counted, target_registered = spec.target_2020
    trusts = responding_trusts(seed, spec.source, registered, target_trusts, target_registered, cycle)
    if not trusts:
        return SurveyCycle()
    total = target_counted if cycle == 2020 and len(trusts) == target_trusts else \
        round(len(trusts) * spec.per_trust_before_2020.get(cycle, target_counted / target_trusts))
    counts = allocate(seed, spec.source, cycle, trusts, total, spec.cap, spec.minimum)
    over_cap_trust = max(trusts, key=lambda code: (counts[code] == spec.cap, counts[code], code))
    rng = stream(seed, spec.source, "rows", cycle)
    rows: list[SurveyRow] = []
    index = 0
    for code in trusts:
        sent = counts[code] * scale + (spec.over_cap_extra * scale if code == over_cap_trust else 0)
        for stamp in arrival_times(rng, cycle, sent):
            rows.append(SurveyRow(writer.new_key(rng, cycle, index), code, stamp,
                                  writer.draw_answers(rng, provider[code], cycle)))
            index += 1
    # a tie at the cap: the first response left out arrives in the same second as the last that counts
    capped = sorted((r for r in rows if r.org_code == over_cap_trust), key=lambda r: (r.instant, r.key))
    if len(capped) > spec.cap:
        capped[spec.cap].stamp = capped[spec.cap - 1].stamp
    # responses naming organisations not registered for this survey (Q03)
    for code in unregistered_codes(spec, register, participants):
        for stamp in arrival_times(rng, cycle, 2):
            rows.append(SurveyRow(writer.new_key(rng, cycle, index), code, stamp,
                                  writer.draw_answers(rng, "universal", cycle)))
            index += 1
    first = resolve(rows, set(registered), spec.cap, spec.keep_latest)
    out = SurveyCycle()
    candidates = sorted((r for r in first.counted if first.received[r.org_code] < spec.cap - 5), key=lambda r: r.key)
    rng.shuffle(candidates)
    # invalid answers on counted responses (Q04)
    invalid: list[tuple[SurveyRow, str]] = []
    for row in candidates[:6]:
        asked = [q for q in spec.questions if writer.asked(q, provider[row.org_code])]
        question = asked[rng.randrange(len(asked))]
        row.answers[question] = writer.invalid_value(rng, question)
        invalid.append((row, question))
    writer.extra_plants(rng, candidates[6:11], provider, out)
    # copies of the same response in two files (Q01): identical, later with a change, earlier with a change
    window_opens, _ = collection_window(cycle)
    copies: list[tuple[SurveyRow, int]] = []  # (copy, offset of its file after the original's)
    for number, row in enumerate(candidates[11:16]):
        kind = number % 3
        if kind == 0:
            copy = SurveyRow(row.key, row.org_code, row.stamp, dict(row.answers))
        else:
            days = 3 if (kind == 1) != spec.keep_latest else -2
            stamp = row.stamp + dt.timedelta(days=days)
            if stamp.date() < window_opens:
                stamp = row.stamp + dt.timedelta(hours=1)
            copy = SurveyRow(row.key, row.org_code, stamp, _changed(writer, rng, row, provider[row.org_code], cycle))
        copies.append((copy, 1))
    # files: the originals by time; a copy goes into the file after its original's
    span = sorted(r.stamp for r in rows)
    cut = [span[len(span) * (i + 1) // spec.files - 1] for i in range(spec.files)]
    by_file: dict[int, list[SurveyRow]] = {i: [] for i in range(spec.files)}
    file_of: dict[str, int] = {}
    for row in rows:
        number = next(i for i, edge in enumerate(cut) if row.stamp <= edge)
        by_file[number].append(row)
        file_of[row.key] = number
    for copy, offset in copies:
        target = file_of[copy.key] + offset
        by_file[target if target < spec.files else max(0, file_of[copy.key] - 1)].append(copy)
    for number, found in by_file.items():
        # within a file rows are in time order; same-second rows in descending id order, so only the
        # contract's tie-break (by id), not file order, decides which of two tied rows counts
        found.sort(key=lambda r: (r.stamp, tuple(-ord(ch) for ch in r.key)))
        path = f"{cycle}/{spec.folder}/{writer.file_name(cycle, number)}"
        for position, row in enumerate(found, start=1):
            row.file, row.row_number = path, position
        out.files[path] = writer.render(found, number, cycle)
        out.arrived[path] = to_utc(max(r.stamp for r in found) + dt.timedelta(hours=6)) if found else to_utc(
            dt.datetime.combine(window_opens, dt.time(9)))
    final = resolve([row for number in sorted(by_file) for row in by_file[number]], set(registered), spec.cap,
                    spec.keep_latest)
    counted_keys = {row.key for row in final.counted}
    for key in sorted(final.duplicates):
        kept = final.kept[key]
        out.flags.append(("Q01", kept.org_code.strip().upper(), None, key, kept.file))
    for row in sorted(final.over_cap, key=lambda r: r.key):
        out.flags.append(("Q02", row.org_code.strip().upper(), None, row.key, row.file))
    for row in sorted(final.quarantined, key=lambda r: r.key):
        out.flags.append(("Q03", row.org_code.strip().upper(), None, row.key, row.file))
    for row, question in invalid:
        kept = final.kept[row.key]
        if row.key in counted_keys and writer.is_invalid(question, kept.answers[question]):
            out.flags.append(("Q04", kept.org_code.strip().upper(), question, row.key, kept.file))
    for row in sorted(final.counted, key=lambda r: (r.org_code, r.key)):
        answers = {q: writer.canonical(q, row.answers.get(q, "")) for q in spec.questions}
        org = row.org_code.strip().upper()
        out.counted.append(CountedResponse(spec.source, cycle, org, row.key, answers))
        for question in writer.routing_violations(answers):
            out.flags.append(("Q06", org, question, row.key, row.file))
    _plant_q05(writer, out, provider)
    return out


def _plant_q05(writer: SurveyWriter, out: SurveyCycle, provider: Mapping[str, str]) -> None:
    """Q05 (info): per trust and question asked of it, fewer than 10 valid responses."""
    by_trust: dict[str, list[CountedResponse]] = {}
    for response in out.counted:
        by_trust.setdefault(response.org_code, []).append(response)
    for org, found in sorted(by_trust.items()):
        for question in writer.spec.questions:
            if not writer.asked(question, provider[org]):
                continue
            valid = sum(writer.counts_as_answer(question, r.answers) for r in found)
            if valid < 10:
                out.flags.append(("Q05", org, question, None, ""))
