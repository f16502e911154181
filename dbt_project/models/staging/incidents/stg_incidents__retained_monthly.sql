-- One row per cell: retention runs only ever remove detail, so the fullest copy (the first) is
-- the published figure.
select
    upper(trim(provider_code)) as provider_code,
    month,
    intervention_type,
    max(incidents) as incidents,
    max(people) as people,
    max(total_minutes) as total_minutes
from {{ source('incidents', 'retained_monthly') }}
group by upper(trim(provider_code)), month, intervention_type
