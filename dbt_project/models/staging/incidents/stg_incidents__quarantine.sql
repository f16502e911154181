select
    upper(trim(provider_code)) as provider_code,
    incident_id,
    rule_id,
    item_id,
    month,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year
from {{ source('incidents', 'incident_quarantine') }}
