-- One row per (cycle, survey indicator): every indicator of the catalogue whose source is
-- staff_survey or service_user_survey, for every cycle present in the data (the survey questions
-- are asked in every cycle). Survey indicators are all of kind share: numerator_set and
-- denominator_set are pipe-separated answers (staff) or codes (service users).
select
    cycles.cycle_year,
    indicators.indicator_id,
    indicators.standard,
    indicators.population,
    indicators.kind,
    indicators.unit,
    indicators.source,
    indicators.item_id,
    indicators.numerator as numerator_set,
    indicators.denominator as denominator_set,
    indicators.parent_item,
    indicators.parent_values,
    cast(case indicators.unit when 'percent' then 100 when 'per_1000' then 1000 else 1 end
        as {{ dbt.type_int() }}) as unit_factor
from {{ ref('stg_catalogue__indicators') }} as indicators
cross join {{ ref('int_cycles_collected') }} as cycles
where indicators.source in ('staff_survey', 'service_user_survey')
