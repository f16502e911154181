-- National figures of every published indicator, one row per indicator per cycle in which its
-- items were collected: the organisational-return indicators (sources org_return and
-- org_return_activity: int_indicators_scoped -> int_indicator_inputs_joined ->
-- int_indicators_aggregated) and the survey indicators (staff_survey, service_user_survey:
-- int_survey_indicators_scoped -> int_survey_indicator_inputs_joined ->
-- int_survey_indicators_aggregated), both rounded by the same macro (round_half_up).
-- This is the working database's figure; the publish gate (audit) decides what is published.
with figures as (
    select cycle_year, indicator_id, standard, population, numerator, denominator, value, unit
    from {{ ref('int_indicators_aggregated') }}
    union all
    select cycle_year, indicator_id, standard, population, numerator, denominator, value, unit
    from {{ ref('int_survey_indicators_aggregated') }}
)

select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(standard as {{ dbt.type_int() }}) as standard,
    cast(population as {{ dbt.type_string() }}) as population,
    cast(numerator as decimal(18, 4)) as numerator,
    cast(denominator as decimal(18, 4)) as denominator,
    cast(value as decimal(12, 1)) as value,
    cast(unit as {{ dbt.type_string() }}) as unit
from figures
