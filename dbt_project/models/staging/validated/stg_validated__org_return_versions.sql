select
    file_hash,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    upper(trim(org_code)) as org_code,
    submitted_at,
    cast(archive_seq as {{ dbt.type_bigint() }}) as archive_seq,
    landing_path
from {{ source('validated', 'org_return_versions') }}
