-- Each trust's own figure for every indicator that applies to it, one row per
-- (cycle, indicator, trust). Columns are fixed (the survey prong unions its rows below):
--   cycle_year, indicator_id, org_code, numerator, denominator, value, valid_responses, source
-- Organisational return (from int_indicator_inputs_joined, i.e. trusts in the indicator's
-- population with a current accepted return):
--   share        numerator 1/0, denominator 1 when the answer is in the denominator set;
--                value 100 (answer in the numerator set) or 0; empty when the trust's answer
--                does not count (blank, not applicable, error-flagged, parent not Yes)
--   pooled_rate, mean_ratio
--                numerator = part, denominator = whole when both are usable;
--                value = unit_factor * part / whole when whole > 0 (unrounded)
--   mean         value = the trust's usable value; numerator and denominator empty
--   valid_responses is empty (it is a survey notion).
with indicators as (
    select distinct indicator_id, kind, unit_factor
    from {{ ref('int_indicators_scoped') }}
),

catalogue as (
    select indicator_id, source from {{ ref('stg_catalogue__indicators') }}
),

inputs as (
    select * from {{ ref('int_indicator_inputs_joined') }}
),

org_return as (
    select
        inputs.cycle_year,
        inputs.indicator_id,
        inputs.org_code,
        case
            when inputs.kind = 'share' and inputs.counts_in_denominator
                then case when inputs.counts_in_numerator then 1 else 0 end
            when inputs.kind in ('pooled_rate', 'mean_ratio') and inputs.pair_usable
                then inputs.part_value
        end as numerator,
        case
            when inputs.kind = 'share' and inputs.counts_in_denominator then 1
            when inputs.kind in ('pooled_rate', 'mean_ratio') and inputs.pair_usable
                then inputs.whole_value
        end as denominator,
        case
            when inputs.kind = 'share' and inputs.counts_in_denominator
                then case when inputs.counts_in_numerator then 100.0 else 0.0 end
            when inputs.kind in ('pooled_rate', 'mean_ratio') and inputs.pair_usable and inputs.whole_value > 0
                then {{ divide_as_double('cast(indicators.unit_factor as double) * cast(inputs.part_value as double)',
                                         'inputs.whole_value') }}
            when inputs.kind = 'mean' and inputs.mean_usable
                then cast(inputs.part_value as double)
        end as value,
        catalogue.source
    from inputs
    inner join indicators
        on inputs.indicator_id = indicators.indicator_id
    inner join catalogue
        on inputs.indicator_id = catalogue.indicator_id
),

all_sources as (
    select
        cycle_year,
        indicator_id,
        org_code,
        numerator,
        denominator,
        value,
        cast(null as {{ dbt.type_int() }}) as valid_responses,
        source
    from org_return
    union all
    -- survey prongs: one row per trust with responses that count (exact figures; the fewer-than-10
    -- rule is applied where they are published, see trust_indicators.publishable)
    select
        cycle_year,
        indicator_id,
        org_code,
        numerator,
        denominator,
        value,
        valid_responses,
        source
    from {{ ref('int_survey_trust_indicator_values') }}
)

select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(numerator as decimal(18, 4)) as numerator,
    cast(denominator as decimal(18, 4)) as denominator,
    cast(value as double) as value,
    cast(valid_responses as {{ dbt.type_int() }}) as valid_responses,
    cast(source as {{ dbt.type_string() }}) as source
from all_sources
