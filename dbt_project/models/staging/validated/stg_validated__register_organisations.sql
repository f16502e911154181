select
    file_hash,
    org_code,
    org_name,
    provider_type,
    org_type,
    region
from {{ source('validated', 'register_organisations') }}
