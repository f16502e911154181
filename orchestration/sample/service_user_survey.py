"""Service-user survey batches (`<cycle>/service_user_survey/*.csv`), as the digitiser delivers them.

`batch_id,form_id,org_code,scanned_at,SU01,...,SU11`, coded 1 Yes, 2 No, 3 Not sure, 4 Does not apply,
8 more than one box ticked, 9 no answer. Several batches per cycle. Planted (see
`surveys.generate_survey_cycle`): re-scanned forms (a later scan with a corrected code, or an
older scan delivered in a later batch), a trust over the cap of 100 with a tie at the cap, forms
for organisations not registered for the survey, invalid codes, and SU09 answered although SU08 was
not 1 (Q06). SU11 code 4 ("did not stay in hospital") is common and simply outside the denominator.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from orchestration.sample.surveys import (
    SurveyCycle,
    SurveyRow,
    SurveySpec,
    SurveyWriter,
    numerator_share,
    service_user_codes,
    service_user_questions,
)

SPEC = SurveySpec(
    source="service_user_survey", folder="service_user_survey",
    registered_flag="registered_service_user_survey", cap=100, keep_latest=True,
    target_2020=(152, 2884, 168), per_trust_before_2020={2018: 16.0, 2019: 17.5},
    minimum=2, over_cap_extra=4, files=4, questions=service_user_questions(),
)
INVALID = ("7", "X", "12", "1/2", "0")
ANSWERS = ("1", "2", "3")


class ServiceUserSurveyWriter(SurveyWriter):
    spec = SPEC

    def new_key(self, rng, cycle: int, index: int) -> str:
        return f"F{cycle % 100:02d}{index:06d}{rng.randrange(10)}"

    def draw_answers(self, rng, provider_type: str, cycle: int) -> dict[str, str]:
        answers: dict[str, str] = {}
        for question_id, question in self.spec.questions.items():
            if question.parent_item and answers.get(question.parent_item) not in question.parent_values:
                answers[question_id] = rng.choice(("4", "4", "4", "4", "9", ""))  # skipped as routed
                continue
            answers[question_id] = self._draw(rng, question_id, provider_type, cycle)
        return answers

    def _draw(self, rng, question_id: str, provider_type: str, cycle: int) -> str:
        roll = rng.random()
        if question_id == "SU11" and roll < 0.4:
            return "4"  # did not stay in hospital
        if question_id == "SU08":  # wanting to complain is the exception
            return "1" if roll < 0.22 else rng.choice(("2", "2", "2", "2", "2", "3", "9", "8"))
        if roll < 0.03:
            return rng.choice(("9", "9", "8", "4", ""))
        numerator, share = numerator_share(self.spec.source, question_id, provider_type, cycle)
        inside = [code for code in ANSWERS if code in numerator] or ["1"]
        outside = [code for code in ANSWERS if code not in inside]
        not_sure = "3" if "3" in outside else outside[0]
        answer = inside[0] if rng.random() < share else (not_sure if rng.random() < 0.3 else outside[0])
        return f" {answer}" if rng.random() < 0.01 else answer  # a stray space the contract accepts

    def canonical(self, question_id: str, text: str) -> str | None:
        code = text.strip()
        return code if code in service_user_codes() else None

    def is_invalid(self, question_id: str, text: str) -> bool:
        return bool(text.strip()) and text.strip() not in service_user_codes()

    def invalid_value(self, rng, question_id: str) -> str:
        return rng.choice(INVALID)

    def counts_as_answer(self, question_id: str, answers: Mapping[str, str | None]) -> bool:
        question = self.spec.questions[question_id]
        if answers.get(question_id) not in ANSWERS:
            return False
        return not question.parent_item or answers.get(question.parent_item) in question.parent_values

    def extra_plants(self, rng, counted: list[SurveyRow], provider: Mapping[str, str], out: SurveyCycle) -> None:
        """SU09 answered although SU08 is not 1 (Q06): the answer is ignored."""
        for row in counted:
            for question_id, question in self.spec.questions.items():
                if question.parent_item:
                    row.answers[question.parent_item] = "2"
                    row.answers[question_id] = rng.choice(ANSWERS)

    def routing_violations(self, answers: Mapping[str, str | None]) -> list[str]:
        """Questions answered (code 1-3) although their parent's answer is not in the parent set."""
        return [q for q, question in self.spec.questions.items()
                if question.parent_item and answers.get(q) in ANSWERS
                and answers.get(question.parent_item) not in question.parent_values]

    def render(self, rows: Sequence[SurveyRow], file_index: int, cycle: int) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["batch_id", "form_id", "org_code", "scanned_at", *self.spec.questions])
        batch = f"B{cycle}-{file_index + 1:02d}"
        for row in rows:
            writer.writerow([batch, row.key, row.org_code, row.stamp.strftime("%Y-%m-%dT%H:%M:%S"),
                             *(row.answers.get(q, "") for q in self.spec.questions)])
        return buffer.getvalue().encode("utf-8")

    def file_name(self, cycle: int, index: int) -> str:
        return f"digitiser_batch_{cycle}_{index + 1:02d}.csv"
