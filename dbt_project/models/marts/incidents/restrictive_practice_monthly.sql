-- Restrictive practice per provider, month and intervention type, counted as the MHSDS
-- restrictive-intervention statistics do: incidents = distinct incident ids, people = distinct
-- pseudonymised persons, total_minutes = the sum over rows with an end (empty when none has one).
-- A provider-month whose detail was deleted by retention keeps the cells retained at the time.
with retained as (
    select * from {{ ref('stg_incidents__retained_monthly') }}
),

retained_months as (
    select distinct provider_code, month from retained
),

current_cells as (
    select
        interventions.provider_code,
        interventions.month,
        interventions.intervention_type,
        count(distinct interventions.incident_id) as incidents,
        count(distinct interventions.person_key) as people,
        sum(interventions.duration_minutes) as total_minutes
    from {{ ref('stg_incidents__interventions') }} as interventions
    left join retained_months
        on interventions.provider_code = retained_months.provider_code
        and interventions.month = retained_months.month
    where retained_months.provider_code is null
    group by interventions.provider_code, interventions.month, interventions.intervention_type
),

cells as (
    select * from current_cells
    union all
    select provider_code, month, intervention_type, incidents, people, total_minutes from retained
)

select
    cast(provider_code as {{ dbt.type_string() }}) as provider_code,
    cast(month as {{ dbt.type_string() }}) as month,
    cast(intervention_type as {{ dbt.type_string() }}) as intervention_type,
    cast(incidents as {{ dbt.type_int() }}) as incidents,
    cast(people as {{ dbt.type_int() }}) as people,
    cast(total_minutes as double) as total_minutes
from cells
