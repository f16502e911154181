-- National figure of every survey indicator for every cycle: numerator = responses answering in
-- numerator_set, denominator = responses answering in denominator_set (parent condition
-- applied), value = 100 x numerator / denominator from the unrounded counts, rounded once,
-- half-up and exactly (macro round_half_up). A denominator of 0 gives an empty value; the row
-- is still there. Same columns as int_indicators_aggregated, so the mart unions the two.
with indicators as (
    select * from {{ ref('int_survey_indicators_scoped') }}
),

summed as (
    select
        indicators.cycle_year,
        indicators.indicator_id,
        count(case when inputs.counts_in_numerator then 1 end) as share_numerator,
        count(case when inputs.counts_in_denominator then 1 end) as share_denominator
    from indicators
    left join {{ ref('int_survey_indicator_inputs_joined') }} as inputs
        on indicators.cycle_year = inputs.cycle_year
        and indicators.indicator_id = inputs.indicator_id
    group by indicators.cycle_year, indicators.indicator_id
)

select
    indicators.cycle_year,
    indicators.indicator_id,
    indicators.standard,
    indicators.population,
    indicators.kind,
    indicators.unit,
    indicators.unit_factor,
    cast(summed.share_numerator as decimal(18, 4)) as numerator,
    cast(summed.share_denominator as decimal(18, 4)) as denominator,
    {{ round_half_up('summed.share_numerator', 'summed.share_denominator', 'indicators.unit_factor', scale=0) }}
        as value
from indicators
inner join summed
    on indicators.cycle_year = summed.cycle_year
    and indicators.indicator_id = summed.indicator_id
