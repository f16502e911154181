-- The trusts registered for each cycle, from the participants file in the landing zone now
-- (ingest writes it whole per cycle, unique by org_code), one row per (cycle, organisation).
select
    cycle_year,
    org_code,
    registered_org_return,
    registered_staff_survey,
    registered_service_user_survey
from {{ ref('stg_validated__participants') }}
where org_code is not null
