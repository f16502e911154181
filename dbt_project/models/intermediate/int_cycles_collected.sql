-- Every cycle present in the data: a cycle directory from which anything was received,
-- a participants list, or an organisational-return workbook (read or accepted).
with cycles as (
    select cycle_year from {{ ref('stg_raw__received_files') }}
    union
    select cycle_year from {{ ref('stg_validated__participants') }}
    union
    select cycle_year from {{ ref('stg_raw__org_return_files') }}
    union
    select cycle_year from {{ ref('stg_validated__org_return_versions') }}
)

select distinct cycle_year
from cycles
where cycle_year is not null
