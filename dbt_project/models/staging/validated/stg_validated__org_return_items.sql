select
    file_hash,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    upper(trim(org_code)) as org_code,
    upper(trim(item_id)) as item_id,
    lower(trim(response_type)) as response_type,
    response_raw,
    response_norm,
    cast(applies as {{ dbt.type_boolean() }}) as applies,
    cast(follow_on_live as {{ dbt.type_boolean() }}) as follow_on_live,
    cast(na_allowed as {{ dbt.type_boolean() }}) as na_allowed,
    cast(in_catalogue as {{ dbt.type_boolean() }}) as in_catalogue
from {{ source('validated', 'org_return_items') }}
