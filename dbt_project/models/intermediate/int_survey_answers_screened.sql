-- One row per answer of a survey response that counts (after deduplication, quarantine and the
-- caps: the validated survey_answers hold only those), with the trust's peer group from the
-- register. is_usable: the answer is the catalogue's answer (staff) or a code (service users);
-- an invalid answer (Q04, answer_value NULL) is no answer, and an answer the routing ignores
-- (Q06) does not count. Codes 4/8/9 stay usable here: the indicator's denominator set leaves
-- them out.
select
    answers.source,
    answers.cycle_year,
    answers.response_key,
    answers.org_code,
    organisations.provider_type,
    organisations.org_type,
    answers.question_id,
    answers.answer_value,
    coalesce(answers.answer_value is not null and not answers.routed_out, false) as is_usable
from {{ ref('stg_validated__survey_answers') }} as answers
left join {{ ref('int_organisations_registered') }} as organisations
    on answers.org_code = organisations.org_code
