select
    trim(source) as source,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    file_hash,
    landing_path,
    cast(row_number as {{ dbt.type_int() }}) as row_number,
    response_key,
    upper(trim(org_code)) as org_code,
    stamp,
    cast(is_kept_copy as {{ dbt.type_boolean() }}) as is_kept_copy,
    cast(org_registered as {{ dbt.type_boolean() }}) as org_registered,
    lower(trim(status)) as status
from {{ source('validated', 'survey_responses') }}
