-- One row per provider and month from the provider's first to its last month with a current
-- intervention (months without any are 0), with its occupied bed days where known. The month
-- spine is every month seen in any feed or bed-days file (portable: no date generator).
with interventions as (
    select * from {{ ref('stg_incidents__interventions') }}
),

bed_days as (
    select * from {{ ref('stg_incidents__bed_days') }}
),

all_months as (
    select month from interventions
    union
    select month from bed_days
),

spine as (
    select
        month,
        cast(substr(month, 1, 4) as {{ dbt.type_int() }}) * 12 + cast(substr(month, 6, 2) as {{ dbt.type_int() }}) as month_number
    from all_months
),

span as (
    select provider_code, min(month_number) as first_month, max(month_number) as last_month
    from interventions
    group by provider_code
),

use_per_month as (
    select
        provider_code,
        month,
        count(*) as interventions,
        count(distinct incident_id) as incidents,
        count(distinct person_key) as people
    from interventions
    group by provider_code, month
)

select
    span.provider_code,
    spine.month,
    spine.month_number,
    cast(substr(spine.month, 1, 4) as {{ dbt.type_int() }})
        + case when cast(substr(spine.month, 6, 2) as {{ dbt.type_int() }}) >= 4 then 1 else 0 end as cycle_year,
    coalesce(use_per_month.interventions, 0) as interventions,
    coalesce(use_per_month.incidents, 0) as incidents,
    coalesce(use_per_month.people, 0) as people,
    bed_days.occupied_bed_days
from span
inner join spine
    on spine.month_number between span.first_month and span.last_month
left join use_per_month
    on span.provider_code = use_per_month.provider_code
    and spine.month = use_per_month.month
left join bed_days
    on span.provider_code = bed_days.provider_code
    and spine.month = bed_days.month
