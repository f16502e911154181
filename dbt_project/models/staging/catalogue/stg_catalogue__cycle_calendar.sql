select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(window_opens as date) as window_opens,
    cast(window_closes as date) as window_closes,
    cast(flag_report_deadline as date) as flag_report_deadline,
    cast(publication_date as date) as publication_date,
    cast(activity_year_start as date) as activity_year_start,
    cast(activity_year_end as date) as activity_year_end,
    source as provenance
from {{ ref('cycle_calendar') }}
