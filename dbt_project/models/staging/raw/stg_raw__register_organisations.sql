select
    file_hash,
    upper(trim(org_code)) as org_code,
    org_name,
    lower(trim(provider_type)) as provider_type,
    lower(trim(org_type)) as org_type,
    region
from {{ source('raw', 'register_organisations') }}
