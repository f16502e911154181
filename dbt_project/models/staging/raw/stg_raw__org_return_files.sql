select
    file_hash,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    landing_path,
    cast(archive_seq as {{ dbt.type_bigint() }}) as archive_seq,
    archived_at,
    parse_status,
    parse_detail,
    upper(trim(org_code)) as org_code,
    org_name,
    collection_year_raw,
    submitted_by,
    submitted_at,
    submitted_at_raw,
    template_version
from {{ source('raw', 'org_return_files') }}
