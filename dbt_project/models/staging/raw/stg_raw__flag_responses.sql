select
    file_hash,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    landing_path,
    cast(archive_seq as {{ dbt.type_bigint() }}) as archive_seq,
    archived_at,
    cast(row_number as {{ dbt.type_int() }}) as row_number,
    lower(trim(flag_id)) as flag_id,
    response_raw,
    response,
    explanation,
    problem
from {{ source('raw', 'flag_responses') }}
