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
),

collected as (
    select distinct cycle_year
    from cycles
    where cycle_year is not null
)

-- previous_cycle_year: the latest earlier cycle in the data (what year-on-year comparisons use)
select
    later.cycle_year,
    max(earlier.cycle_year) as previous_cycle_year
from collected as later
left join collected as earlier
    on earlier.cycle_year < later.cycle_year
group by later.cycle_year
