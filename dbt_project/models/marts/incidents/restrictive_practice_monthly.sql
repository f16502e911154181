-- Restrictive practice per provider, month and intervention type, counted as the MHSDS
-- restrictive-intervention statistics do: incidents = distinct incident ids, people = distinct
-- pseudonymised persons, total_minutes = the sum over rows with an end (empty when none has one).
select
    cast(provider_code as {{ dbt.type_string() }}) as provider_code,
    cast(month as {{ dbt.type_string() }}) as month,
    cast(intervention_type as {{ dbt.type_string() }}) as intervention_type,
    cast(count(distinct incident_id) as {{ dbt.type_int() }}) as incidents,
    cast(count(distinct person_key) as {{ dbt.type_int() }}) as people,
    cast(sum(duration_minutes) as double) as total_minutes
from {{ ref('stg_incidents__interventions') }}
group by provider_code, month, intervention_type
