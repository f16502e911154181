-- One row per (cycle, survey indicator, response that counts and gave a usable answer to the
-- indicator's question) from a trust in the indicator's population ('all', or the register's
-- provider_type / org_type). Driven by the indicators catalogue:
--   parent:  with a parent_item (SU09 given SU08 = 1), the respondent counts only if their usable
--            answer to the parent is in parent_values.
--   share:   the answer counts in the denominator when it is in denominator_set, and in the
--            numerator when it is also in numerator_set. Anything else (codes 4/8/9, blank,
--            invalid) is in neither.
with indicators as (
    select * from {{ ref('int_survey_indicators_scoped') }}
),

answers as (
    select * from {{ ref('int_survey_answers_screened') }}
    where is_usable
),

joined as (
    select
        indicators.cycle_year,
        indicators.indicator_id,
        indicators.source,
        answers.org_code,
        answers.response_key,
        answers.answer_value,
        parents.answer_value as parent_value,
        case
            when indicators.parent_item is null then true
            when parents.answer_value is null then false
            when {{ in_pipe_set('parents.answer_value', 'indicators.parent_values') }} then true
            else false
        end as parent_ok,
        coalesce({{ in_pipe_set('answers.answer_value', 'indicators.denominator_set') }}, false)
            as answer_in_denominator_set,
        coalesce({{ in_pipe_set('answers.answer_value', 'indicators.numerator_set') }}, false)
            as answer_in_numerator_set
    from indicators
    inner join answers
        on indicators.cycle_year = answers.cycle_year
        and indicators.source = answers.source
        and indicators.item_id = answers.question_id
        and (
            indicators.population = 'all'
            or indicators.population = answers.provider_type
            or indicators.population = answers.org_type
        )
    left join answers as parents
        on parents.cycle_year = answers.cycle_year
        and parents.source = answers.source
        and parents.response_key = answers.response_key
        and parents.question_id = indicators.parent_item
)

select
    cycle_year,
    indicator_id,
    source,
    org_code,
    response_key,
    answer_value,
    parent_value,
    parent_ok,
    parent_ok and answer_in_denominator_set as counts_in_denominator,
    parent_ok and answer_in_denominator_set and answer_in_numerator_set as counts_in_numerator
from joined
