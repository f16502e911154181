-- National figure of every organisational-return indicator for every cycle it is collected in,
-- computed from unrounded counts and rounded once, half-up, exactly (macro round_half_up):
--   share        numerator = trusts answering in numerator_set, denominator = trusts answering
--                in denominator_set; value = 100 * numerator / denominator
--   pooled_rate  numerator = sum of part, denominator = sum of whole over trusts with both
--                usable; value = unit_factor * sum part / sum whole
--   mean_ratio   numerator empty, denominator = trusts with part and whole usable and whole > 0;
--                value = mean over those trusts of unit_factor * part / whole
--   mean         numerator empty, denominator = trusts with a usable value; value = plain mean
-- A denominator of 0 gives an empty value; the indicator row is still there.
{%- set ratio_decimals = var('ratio_term_decimals') %}
with indicators as (
    select * from {{ ref('int_indicators_scoped') }}
),

inputs as (
    select * from {{ ref('int_indicator_inputs_joined') }}
),

summed as (
    select
        indicators.cycle_year,
        indicators.indicator_id,
        count(case when inputs.counts_in_numerator then 1 end) as share_numerator,
        count(case when inputs.counts_in_denominator then 1 end) as share_denominator,
        sum(case when inputs.pair_usable then inputs.part_value end) as part_sum,
        sum(case when inputs.pair_usable then inputs.whole_value end) as whole_sum,
        count(case when inputs.ratio_usable then 1 end) as ratio_trusts,
        -- each trust's part / whole as a whole number of 10^-N units (floor), N = ratio_term_decimals
        sum(case when inputs.ratio_usable then {{ integer_divide(
            to_scaled_integer('inputs.part_value') ~ ' * ' ~ (10 ** ratio_decimals),
            to_scaled_integer('inputs.whole_value')) }} end) as ratio_term_sum,
        count(case when inputs.mean_usable then 1 end) as mean_trusts,
        sum(case when inputs.mean_usable then inputs.part_value end) as mean_sum
    from indicators
    left join inputs
        on indicators.cycle_year = inputs.cycle_year
        and indicators.indicator_id = inputs.indicator_id
    group by indicators.cycle_year, indicators.indicator_id
),

figures as (
    select
        indicators.cycle_year,
        indicators.indicator_id,
        indicators.standard,
        indicators.population,
        indicators.kind,
        indicators.unit,
        indicators.unit_factor,
        case indicators.kind
            when 'share' then cast(summed.share_numerator as decimal(18, 4))
            when 'pooled_rate' then cast(coalesce(summed.part_sum, 0) as decimal(18, 4))
        end as numerator,
        case indicators.kind
            when 'share' then cast(summed.share_denominator as decimal(18, 4))
            when 'pooled_rate' then cast(coalesce(summed.whole_sum, 0) as decimal(18, 4))
            when 'mean_ratio' then cast(summed.ratio_trusts as decimal(18, 4))
            when 'mean' then cast(summed.mean_trusts as decimal(18, 4))
        end as denominator,
        case indicators.kind
            when 'share' then {{ round_half_up('summed.share_numerator', 'summed.share_denominator', 'indicators.unit_factor', scale=0) }}
            when 'pooled_rate' then {{ round_half_up('summed.part_sum', 'summed.whole_sum', 'indicators.unit_factor') }}
            when 'mean_ratio' then {{ round_half_up(
                'summed.ratio_term_sum',
                'summed.ratio_trusts * ' ~ (10 ** ratio_decimals),
                'indicators.unit_factor', scale=0) }}
            when 'mean' then {{ round_half_up('summed.mean_sum', 'summed.mean_trusts', 'indicators.unit_factor') }}
        end as value,
        -- the averaged kinds' unrounded mean as a fraction (before unit_factor) = mean_numerator /
        -- mean_denominator, from the exact sums: for indicator_year_on_year, which would otherwise
        -- average trusts' doubles, and a double sum depends on the engine's order of addition.
        -- Both are whole numbers or 4-decimal sums, so their doubles are the same on every engine.
        case indicators.kind
            when 'mean_ratio' then cast(summed.ratio_term_sum as double)
            when 'mean' then cast(summed.mean_sum as double)
        end as mean_numerator,
        case indicators.kind
            when 'mean_ratio' then cast(summed.ratio_trusts as double) * {{ 10 ** ratio_decimals }}
            when 'mean' then cast(summed.mean_trusts * indicators.unit_factor as double)
        end as mean_denominator
    from indicators
    inner join summed
        on indicators.cycle_year = summed.cycle_year
        and indicators.indicator_id = summed.indicator_id
)

select * from figures
