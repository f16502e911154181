-- One row per (cycle, organisational-return indicator, trust in the indicator's population
-- with a current accepted return): the trust's usable values for the indicator and whether
-- they count. Driven entirely by the indicators catalogue (int_indicators_scoped).
--   population: 'all' = every trust of the register; otherwise the register's provider_type
--               (specialist / universal) or org_type (acute) equals it.
--   parent:     when the indicator names a parent item, the trust counts only if its usable
--               answer to the parent is in parent_values.
--   share:      the answer counts in the denominator when it is in denominator_set and in
--               the numerator when it is also in numerator_set.
--   pooled_rate / mean_ratio: part and whole both usable; mean_ratio also needs whole > 0.
--   mean:       the averaged item is usable.
with indicators as (
    select * from {{ ref('int_indicators_scoped') }}
),

trusts as (
    select
        versions.cycle_year,
        versions.org_code,
        organisations.provider_type,
        organisations.org_type
    from {{ ref('int_org_return_versions_ranked') }} as versions
    inner join {{ ref('int_organisations_registered') }} as organisations
        on versions.org_code = organisations.org_code
    where versions.is_current
),

usable_values as (
    select cycle_year, org_code, item_id, value_text, numeric_value
    from {{ ref('int_org_return_values_screened') }}
    where is_usable
),

joined as (
    select
        indicators.cycle_year,
        indicators.indicator_id,
        indicators.kind,
        trusts.org_code,
        trusts.provider_type,
        trusts.org_type,
        item_values.value_text as item_value,
        part_values.numeric_value as part_value,
        whole_values.numeric_value as whole_value,
        parent_values.value_text as parent_value,
        case
            when indicators.parent_item is null then true
            when parent_values.value_text is null then false
            when {{ in_pipe_set('parent_values.value_text', 'indicators.parent_values') }} then true
            else false
        end as parent_ok,
        case
            when item_values.value_text is null then false
            when {{ in_pipe_set('item_values.value_text', 'indicators.denominator_set') }} then true
            else false
        end as answer_in_denominator_set,
        case
            when item_values.value_text is null then false
            when {{ in_pipe_set('item_values.value_text', 'indicators.numerator_set') }} then true
            else false
        end as answer_in_numerator_set
    from indicators
    inner join trusts
        on indicators.cycle_year = trusts.cycle_year
        and (
            indicators.population = 'all'
            or indicators.population = trusts.provider_type
            or indicators.population = trusts.org_type
        )
    left join usable_values as item_values
        on item_values.cycle_year = indicators.cycle_year
        and item_values.org_code = trusts.org_code
        and item_values.item_id = indicators.item_id
    left join usable_values as part_values
        on part_values.cycle_year = indicators.cycle_year
        and part_values.org_code = trusts.org_code
        and part_values.item_id = indicators.numerator_item
    left join usable_values as whole_values
        on whole_values.cycle_year = indicators.cycle_year
        and whole_values.org_code = trusts.org_code
        and whole_values.item_id = indicators.denominator_item
    left join usable_values as parent_values
        on parent_values.cycle_year = indicators.cycle_year
        and parent_values.org_code = trusts.org_code
        and parent_values.item_id = indicators.parent_item
),

counted as (
    select
        *,
        kind = 'share' and parent_ok and answer_in_denominator_set as counts_in_denominator,
        kind = 'share' and parent_ok and answer_in_denominator_set and answer_in_numerator_set
            as counts_in_numerator,
        kind in ('pooled_rate', 'mean_ratio') and parent_ok
            and part_value is not null and whole_value is not null as pair_usable,
        kind = 'mean_ratio' and parent_ok
            and part_value is not null and whole_value is not null and whole_value > 0 as ratio_usable,
        kind = 'mean' and parent_ok and part_value is not null as mean_usable
    from joined
)

select
    cycle_year,
    indicator_id,
    kind,
    org_code,
    provider_type,
    org_type,
    item_value,
    part_value,
    whole_value,
    parent_value,
    parent_ok,
    counts_in_numerator,
    counts_in_denominator,
    pair_usable,
    ratio_usable,
    mean_usable
from counted
