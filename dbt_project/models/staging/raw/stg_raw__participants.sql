select
    file_hash,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    upper(trim(org_code)) as org_code,
    cast(registered_org_return as {{ dbt.type_boolean() }}) as registered_org_return,
    cast(registered_staff_survey as {{ dbt.type_boolean() }}) as registered_staff_survey,
    cast(registered_service_user_survey as {{ dbt.type_boolean() }}) as registered_service_user_survey
from {{ source('raw', 'participants') }}
