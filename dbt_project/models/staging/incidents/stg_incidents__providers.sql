select
    upper(trim(provider_code)) as provider_code,
    provider_name,
    lower(trim(sector)) as sector,
    lower(trim(setting_type)) as setting_type,
    commissioner_code,
    upper(trim(org_code)) as org_code,
    lower(trim(training_certification)) as training_certification
from {{ source('incidents', 'providers') }}
