-- Exact per-trust survey figures: one row per (cycle, survey indicator, trust of the indicator's
-- population with at least one response that counts to that survey in the cycle). Same rules as
-- the national figure (int_survey_indicator_inputs_joined), counted per trust.
--   valid_responses = answers in the indicator's denominator set (the fewer-than-10 rule of the
--   disclosure policy: below 10 the trust-level percentage is not published; marts.trust_indicators
--   applies it). value is empty when the denominator is 0.
-- Columns fixed for the union into int_trust_indicator_values (issue 5).
with indicators as (
    select * from {{ ref('int_survey_indicators_scoped') }}
),

trusts as (
    select distinct
        responses.cycle_year,
        responses.source,
        responses.org_code,
        organisations.provider_type,
        organisations.org_type
    from {{ ref('stg_validated__survey_responses') }} as responses
    inner join {{ ref('int_organisations_registered') }} as organisations
        on responses.org_code = organisations.org_code
    where responses.status = 'counted'
),

per_trust as (
    select
        cycle_year,
        indicator_id,
        org_code,
        count(case when counts_in_numerator then 1 end) as share_numerator,
        count(case when counts_in_denominator then 1 end) as share_denominator
    from {{ ref('int_survey_indicator_inputs_joined') }}
    group by cycle_year, indicator_id, org_code
),

figures as (
    select
        indicators.cycle_year,
        indicators.indicator_id,
        trusts.org_code,
        indicators.source,
        indicators.unit_factor,
        coalesce(per_trust.share_numerator, 0) as share_numerator,
        coalesce(per_trust.share_denominator, 0) as share_denominator
    from indicators
    inner join trusts
        on indicators.cycle_year = trusts.cycle_year
        and indicators.source = trusts.source
        and (
            indicators.population = 'all'
            or indicators.population = trusts.provider_type
            or indicators.population = trusts.org_type
        )
    left join per_trust
        on indicators.cycle_year = per_trust.cycle_year
        and indicators.indicator_id = per_trust.indicator_id
        and trusts.org_code = per_trust.org_code
)

select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(share_numerator as decimal(18, 4)) as numerator,
    cast(share_denominator as decimal(18, 4)) as denominator,
    {{ round_half_up('share_numerator', 'share_denominator', 'unit_factor', scale=0) }} as value,
    cast(share_denominator as {{ dbt.type_int() }}) as valid_responses,
    cast(source as {{ dbt.type_string() }}) as source
from figures
