"""Staff survey exports (`<cycle>/staff_survey/*.csv`), as the online survey tool writes them.

`response_id,org_code,submitted_at,ST01,...,ST15`; text answers; blank = not answered; naive local
times. Several exports per cycle (by period), a UTF-8 byte-order mark and CRLF line ends (what the
tool writes), harmless mess in a few answers (odd case, stray spaces, a typographic apostrophe in
`Don’t know`). Planted (see `surveys.generate_survey_cycle`): copies of a response in two exports
(identical, re-exported later with a changed answer, or an earlier copy in a later export), a trust
over the cap of 50 with a tie at the cap, responses for organisations not registered for the
survey, and invalid answers (numbers, `Yes` on an agreement scale, misspellings).
"""

from __future__ import annotations

import csv
import io
import string
from collections.abc import Sequence
from functools import cache

from orchestration.sample.surveys import (
    SurveyRow,
    SurveySpec,
    SurveyWriter,
    numerator_share,
    staff_questions,
    staff_scales,
)

SPEC = SurveySpec(
    source="staff_survey", folder="staff_survey", registered_flag="registered_staff_survey", cap=50,
    keep_latest=False, target_2020=(172, 4548, 186), per_trust_before_2020={2018: 22.0, 2019: 24.0},
    minimum=3, over_cap_extra=7, files=3, questions=staff_questions(),
)
ID_ALPHABET = string.ascii_letters + string.digits
INVALID = {"likert": ("5", "Yes", "Agreed", "Strongly agre", "N/A"), "yes_no_dontknow": ("Y", "Maybe", "1", "Unsure")}


def normalise(text: str) -> str:
    """How the contract compares answers: trimmed, case-insensitive, typographic apostrophes as '."""
    return text.replace("\u2019", "'").replace("\u2018", "'").strip().casefold()


@cache
def _lookup(scale: str) -> dict[str, str]:
    """normalised answer -> the scale's answer as the catalogue writes it."""
    return {normalise(option): option for option in staff_scales()[scale]}


class StaffSurveyWriter(SurveyWriter):
    spec = SPEC

    def new_key(self, rng, cycle: int, index: int) -> str:
        return "R_" + "".join(rng.choice(ID_ALPHABET) for _ in range(15))

    def _scale(self, question_id: str) -> tuple[str, ...]:
        return staff_scales()[self.spec.questions[question_id].answer_scale]

    def draw_answers(self, rng, provider_type: str, cycle: int) -> dict[str, str]:
        answers = {}
        for question_id in self.spec.questions:
            answers[question_id] = self._draw(rng, question_id, provider_type, cycle)
        return answers

    def _draw(self, rng, question_id: str, provider_type: str, cycle: int) -> str:
        if not self.asked(question_id, provider_type) or rng.random() < 0.03:
            return ""
        options = self._scale(question_id)
        numerator, share = numerator_share(self.spec.source, question_id, provider_type, cycle)
        inside = [o for o in options if o in numerator] or list(options[:2 if len(options) > 3 else 1])
        outside = [o for o in options if o not in inside]
        pool = inside if rng.random() < share or not outside else outside
        answer = pool[min(int(rng.random() ** 1.6 * len(pool)), len(pool) - 1)]
        if rng.random() < 0.03:  # harmless mess the contract accepts
            answer = rng.choice([answer.upper(), f" {answer.lower()}", f"{answer} ", answer.replace("'", "\u2019")])
        return answer

    def canonical(self, question_id: str, text: str) -> str | None:
        return _lookup(self.spec.questions[question_id].answer_scale).get(normalise(text))

    def is_invalid(self, question_id: str, text: str) -> bool:
        return bool(text.strip()) and self.canonical(question_id, text) is None

    def invalid_value(self, rng, question_id: str) -> str:
        return rng.choice(INVALID[self.spec.questions[question_id].answer_scale])

    def render(self, rows: Sequence[SurveyRow], file_index: int, cycle: int) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["response_id", "org_code", "submitted_at", *self.spec.questions])
        for row in rows:
            writer.writerow([row.key, row.org_code, row.stamp.strftime("%Y-%m-%d %H:%M:%S"),
                             *(row.answers.get(q, "") for q in self.spec.questions)])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    def file_name(self, cycle: int, index: int) -> str:
        return f"staff_survey_export_{cycle}_{index + 1:02d}.csv"
