select
    trim(indicator_id) as indicator_id,
    cast(standard as {{ dbt.type_int() }}) as standard,
    trim(measure) as measure,
    trim(source) as source,
    upper(trim(item_id)) as item_id,
    trim(population) as population,
    trim(kind) as kind,
    trim(numerator) as numerator,
    trim(denominator) as denominator,
    upper(trim(parent_item)) as parent_item,
    trim(parent_values) as parent_values,
    trim(unit) as unit,
    report_2020_value,
    statement
from {{ ref('indicators') }}
