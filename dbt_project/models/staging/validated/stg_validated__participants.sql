select
    file_hash,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    org_code,
    registered_org_return,
    registered_staff_survey,
    registered_service_user_survey
from {{ source('validated', 'participants') }}
