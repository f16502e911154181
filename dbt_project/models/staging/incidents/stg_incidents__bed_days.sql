select
    upper(trim(provider_code)) as provider_code,
    month,
    occupied_bed_days
from {{ source('incidents', 'incident_bed_days') }}
where occupied_bed_days is not null
