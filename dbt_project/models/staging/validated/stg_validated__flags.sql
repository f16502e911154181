select
    flag_id,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    org_code,
    upper(trim(rule_id)) as rule_id,
    lower(trim(severity)) as severity,
    item_id,
    file_hash,
    landing_path,
    response_key,
    submitted_value,
    expected,
    message
from {{ source('validated', 'flags') }}
