-- Each national figure beside the previous cycle's, with the change and whether it is real.
-- One row per marts.national_indicators row. The previous cycle is the latest earlier cycle
-- in the data; an indicator with no national row there (its item did not exist yet) has an
-- empty previous value and comparison 'not collected in <year>', never a zero.
--   change         unrounded current minus unrounded previous, in the indicator's unit
--                  (percentage points for percent), rounded to 1 decimal for display
--   share          95 % interval for the change by Newcombe's hybrid score method (1998,
--                  method 10: Wilson score intervals of each year, combined), treating the
--                  two cycles as independent samples; direction from the interval excluding 0
--                  and the presentation seed's higher_is_better
--   pooled_rate, mean_ratio, mean
--                  no interval: their units (incidents, bed days, trusts' ratios) are clustered
--                  within trusts, so a binomial or Poisson interval would overstate certainty;
--                  direction 'not assessed'
with national as (
    select * from {{ ref('national_indicators') }}
),

presentation as (
    select * from {{ ref('stg_catalogue__indicator_presentation') }}
),

cycles as (
    select cycle_year, previous_cycle_year from {{ ref('int_cycles_collected') }}
),

-- the unrounded mean of trusts' figures for the averaged kinds (national rows carry no numerator),
-- from the exact sums (an average of doubles would differ between engines in the last bits)
trust_means as (
    select cycle_year, indicator_id, mean_numerator, mean_denominator
    from {{ ref('int_indicators_aggregated') }}
    where mean_denominator > 0
),

figures as (
    select
        national.cycle_year,
        national.indicator_id,
        national.population,
        national.unit,
        national.numerator,
        national.denominator,
        national.value,
        presentation.kind,
        case national.unit when 'percent' then 100 when 'per_1000' then 1000 else 1 end as unit_factor,
        case
            when national.value is null then null
            when presentation.kind in ('share', 'pooled_rate') and national.denominator > 0
                then {{ divide_as_double('national.numerator', 'national.denominator') }}
            when presentation.kind in ('mean_ratio', 'mean')
                then {{ divide_as_double('trust_means.mean_numerator', 'trust_means.mean_denominator') }}
        end as fraction
    from national
    inner join presentation
        on national.indicator_id = presentation.indicator_id
    left join trust_means
        on national.cycle_year = trust_means.cycle_year
        and national.indicator_id = trust_means.indicator_id
),

paired as (
    select
        current_year.*,
        cycles.previous_cycle_year,
        previous_year.indicator_id is not null as previous_collected,
        previous_year.numerator as previous_numerator,
        previous_year.denominator as previous_denominator,
        previous_year.value as previous_value,
        previous_year.fraction as previous_fraction
    from figures as current_year
    inner join cycles
        on current_year.cycle_year = cycles.cycle_year
    left join figures as previous_year
        on previous_year.cycle_year = cycles.previous_cycle_year
        and previous_year.indicator_id = current_year.indicator_id
),

bounded as (
    select
        *,
        kind = 'share' and fraction is not null and previous_fraction is not null
            and denominator > 0 and previous_denominator > 0 as has_interval,
        {{ wilson_bound('fraction', 'denominator', '-') }} as lower_now,
        {{ wilson_bound('fraction', 'denominator', '+') }} as upper_now,
        {{ wilson_bound('previous_fraction', 'previous_denominator', '-') }} as lower_before,
        {{ wilson_bound('previous_fraction', 'previous_denominator', '+') }} as upper_before
    from paired
),

intervals as (
    select
        *,
        fraction - previous_fraction as difference,
        case when has_interval then
            (fraction - previous_fraction)
            - sqrt((fraction - lower_now) * (fraction - lower_now)
                   + (upper_before - previous_fraction) * (upper_before - previous_fraction))
        end as difference_lower,
        case when has_interval then
            (fraction - previous_fraction)
            + sqrt((upper_now - fraction) * (upper_now - fraction)
                   + (previous_fraction - lower_before) * (previous_fraction - lower_before))
        end as difference_upper
    from bounded
)

select
    cast(intervals.indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(presentation.standard as {{ dbt.type_int() }}) as standard,
    cast(presentation.measure as {{ dbt.type_string() }}) as measure,
    cast(intervals.population as {{ dbt.type_string() }}) as population,
    cast(intervals.unit as {{ dbt.type_string() }}) as unit,
    cast(intervals.kind as {{ dbt.type_string() }}) as kind,
    cast(intervals.cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(intervals.previous_cycle_year as {{ dbt.type_int() }}) as previous_cycle_year,
    cast(intervals.numerator as decimal(18, 4)) as numerator,
    cast(intervals.denominator as decimal(18, 4)) as denominator,
    cast(intervals.value as decimal(12, 1)) as value,
    cast(intervals.previous_numerator as decimal(18, 4)) as previous_numerator,
    cast(intervals.previous_denominator as decimal(18, 4)) as previous_denominator,
    cast(intervals.previous_value as decimal(12, 1)) as previous_value,
    cast({{ round_statistic('intervals.unit_factor * intervals.difference') }} as decimal(12, 1)) as change,
    cast({{ round_statistic('intervals.unit_factor * intervals.difference_lower') }} as decimal(12, 1)) as change_lower,
    cast({{ round_statistic('intervals.unit_factor * intervals.difference_upper') }} as decimal(12, 1)) as change_upper,
    cast(intervals.unit_factor * intervals.difference as double) as change_unrounded,
    cast(case when intervals.has_interval then 'newcombe_hybrid_score_95' end as {{ dbt.type_string() }})
        as interval_method,
    presentation.higher_is_better,
    cast(
        case
            when intervals.difference is null then 'not comparable'
            when not intervals.has_interval then 'not assessed'
            when intervals.difference_lower > 0 and presentation.higher_is_better then 'improved'
            when intervals.difference_lower > 0 then 'worsened'
            when intervals.difference_upper < 0 and presentation.higher_is_better then 'worsened'
            when intervals.difference_upper < 0 then 'improved'
            else 'no significant change'
        end as {{ dbt.type_string() }}) as direction,
    cast(
        case
            when intervals.previous_cycle_year is null then 'first cycle in the data'
            when not intervals.previous_collected
                then {{ dbt.concat(["'not collected in '", "cast(intervals.previous_cycle_year as " ~ dbt.type_string() ~ ")"]) }}
            when intervals.previous_fraction is null
                then {{ dbt.concat(["'no figure in '", "cast(intervals.previous_cycle_year as " ~ dbt.type_string() ~ ")"]) }}
            when intervals.fraction is null then 'no figure this cycle'
            when not intervals.has_interval then 'change shown; no interval for pooled rates and means'
            else 'compared'
        end as {{ dbt.type_string() }}) as comparison
from intervals
inner join presentation
    on intervals.indicator_id = presentation.indicator_id
