select
    file_hash,
    source,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    landing_path,
    cast(size_bytes as {{ dbt.type_bigint() }}) as size_bytes,
    archived_at,
    cast(archive_seq as {{ dbt.type_bigint() }}) as archive_seq
from {{ source('raw', 'received_files') }}
