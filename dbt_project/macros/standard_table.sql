{#-
  One standard's table as tables 1-4 of the year-3 report lay it out, for every cycle in the
  data: each improvement measure, its indicators in the "Performance against indicators of a
  good service" column (good_performance) and the "Indicators of areas for improvement" column
  (area_for_improvement), in report order, with the national figure.
  Every catalogue indicator of the standard has a row for every cycle; figure_status says
  whether there is a figure: 'value', 'no denominator' (collected, nobody counted) or
  'not collected' (no national row for that cycle: the item did not exist yet, or its source
  is not built).
-#}
{% macro standard_table(standard) -%}
with presentation as (
    select * from {{ ref('stg_catalogue__indicator_presentation') }}
    where standard = {{ standard }}
),

cycles as (
    select cycle_year from {{ ref('int_cycles_collected') }}
),

national as (
    select * from {{ ref('national_indicators') }}
)

select
    cast(cycles.cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(presentation.standard as {{ dbt.type_int() }}) as standard,
    cast(presentation.measure as {{ dbt.type_string() }}) as measure,
    cast(presentation.table_column as {{ dbt.type_string() }}) as table_column,
    cast(presentation.order_in_measure as {{ dbt.type_int() }}) as order_in_measure,
    cast(presentation.indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(presentation.statement as {{ dbt.type_string() }}) as statement,
    cast(presentation.source as {{ dbt.type_string() }}) as source,
    cast(presentation.population as {{ dbt.type_string() }}) as population,
    cast(presentation.unit as {{ dbt.type_string() }}) as unit,
    cast(national.numerator as decimal(18, 4)) as numerator,
    cast(national.denominator as decimal(18, 4)) as denominator,
    cast(national.value as decimal(12, 1)) as value,
    cast(
        case
            when national.indicator_id is null then 'not collected'
            when national.value is null then 'no denominator'
            else 'value'
        end as {{ dbt.type_string() }}) as figure_status,
    presentation.higher_is_better,
    presentation.printed_in_report,
    cast(presentation.report_2020_value as decimal(6, 1)) as report_2020_value
from presentation
cross join cycles
left join national
    on national.cycle_year = cycles.cycle_year
    and national.indicator_id = presentation.indicator_id
{%- endmacro %}
