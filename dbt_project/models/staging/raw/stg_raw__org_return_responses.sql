select
    file_hash,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(row_number as {{ dbt.type_int() }}) as row_number,
    upper(trim(item_id)) as item_id,
    response_raw,
    comment
from {{ source('raw', 'org_return_responses') }}
