-- One row per (cycle, organisational-return indicator) to publish: every indicator of the
-- catalogue whose source is org_return or org_return_activity, for every cycle present in the
-- data from the first cycle in which all of its items were collected (first_cycle).
-- Reshapes the catalogue row for the generic aggregation:
--   share                          -> item_id answered, numerator_set / denominator_set of answers
--   mean_ratio / pooled_rate       -> numerator_item (part) and denominator_item (whole)
--   mean                           -> numerator_item (the item averaged)
-- unit_factor: percent 100, per_1000 1000, anything else (ratio, wte) 1.
with indicators as (
    select *
    from {{ ref('stg_catalogue__indicators') }}
    where source in ('org_return', 'org_return_activity')
),

shaped as (
    select
        indicator_id,
        standard,
        population,
        kind,
        unit,
        item_id,
        case when kind = 'share' then numerator end as numerator_set,
        case when kind = 'share' then denominator end as denominator_set,
        case when kind in ('mean_ratio', 'pooled_rate', 'mean') then upper(numerator) end as numerator_item,
        case when kind in ('mean_ratio', 'pooled_rate') then upper(denominator) end as denominator_item,
        parent_item,
        parent_values,
        case unit when 'percent' then 100 when 'per_1000' then 1000 else 1 end as unit_factor
    from indicators
),

first_cycles as (
    select
        shaped.indicator_id,
        max(items.first_cycle) as first_cycle,
        count(*) filter (where items.item_id = shaped.item_id) as main_item_found
    from shaped
    inner join {{ ref('stg_catalogue__org_return_items') }} as items
        on items.item_id in (shaped.item_id, shaped.numerator_item, shaped.denominator_item, shaped.parent_item)
    group by shaped.indicator_id
)

select
    cycles.cycle_year,
    shaped.indicator_id,
    shaped.standard,
    shaped.population,
    shaped.kind,
    shaped.unit,
    cast(shaped.unit_factor as {{ dbt.type_int() }}) as unit_factor,
    shaped.item_id,
    shaped.numerator_set,
    shaped.denominator_set,
    shaped.numerator_item,
    shaped.denominator_item,
    shaped.parent_item,
    shaped.parent_values,
    first_cycles.first_cycle
from shaped
inner join first_cycles
    on shaped.indicator_id = first_cycles.indicator_id
    and first_cycles.main_item_found > 0
cross join {{ ref('int_cycles_collected') }} as cycles
where cycles.cycle_year >= first_cycles.first_cycle
