-- The indicators catalogue joined to its presentation seed: what tables 1-4 and the year-on-year
-- direction need about each indicator. Every catalogue indicator has a presentation row (seed test).
select
    trim(indicators.indicator_id) as indicator_id,
    cast(indicators.standard as {{ dbt.type_int() }}) as standard,
    trim(indicators.measure) as measure,
    trim(indicators.source) as source,
    trim(indicators.population) as population,
    trim(indicators.kind) as kind,
    trim(indicators.unit) as unit,
    indicators.statement,
    indicators.report_2020_value,
    trim(presentation.table_column) as table_column,
    upper(trim(presentation.higher_is_better)) = 'Y' as higher_is_better,
    cast(presentation.order_in_measure as {{ dbt.type_int() }}) as order_in_measure,
    upper(trim(presentation.printed_in_report)) = 'Y' as printed_in_report
from {{ ref('indicators') }} as indicators
left join {{ ref('indicator_presentation') }} as presentation
    on trim(indicators.indicator_id) = trim(presentation.indicator_id)
