-- MHSDS-style measures per provider and financial year (cycle N = April N-1 to March N).
-- The rate per 1,000 occupied bed days is given only when every month of the year with an
-- intervention has bed days (otherwise I07 says which month is missing); share_prone is prone
-- interventions (01) over all physical-restraint interventions (01, 07-13).
with interventions as (
    select * from {{ ref('stg_incidents__interventions') }}
),

months as (
    select
        provider_code,
        cycle_year,
        sum(occupied_bed_days) as occupied_bed_days,
        sum(case when interventions > 0 and occupied_bed_days is null then 1 else 0 end) as months_without_bed_days
    from {{ ref('int_incident_provider_months_joined') }}
    group by provider_code, cycle_year
),

measures as (
    select
        provider_code,
        cycle_year,
        count(distinct person_key) as people,
        count(*) as interventions,
        count(distinct incident_id) as incidents,
        avg(duration_minutes) as mean_minutes,
        max(duration_minutes) as max_minutes,
        sum(case when intervention_type = '01' then 1 else 0 end) as prone_interventions,
        sum(case when intervention_type in ('01', '07', '08', '09', '10', '11', '12', '13') then 1 else 0 end)
            as physical_interventions
    from interventions
    group by provider_code, cycle_year
)

select
    cast(measures.provider_code as {{ dbt.type_string() }}) as provider_code,
    cast(measures.cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(measures.people as {{ dbt.type_int() }}) as people,
    cast(measures.interventions as {{ dbt.type_int() }}) as interventions,
    cast(measures.incidents as {{ dbt.type_int() }}) as incidents,
    cast(months.occupied_bed_days as double) as occupied_bed_days,
    cast(case
        when months.months_without_bed_days = 0 and months.occupied_bed_days > 0
            then {{ divide_as_double('measures.interventions * 1000.0', 'months.occupied_bed_days') }}
    end as double) as interventions_per_1000_bed_days,
    cast(measures.mean_minutes as double) as mean_minutes,
    cast(measures.max_minutes as double) as max_minutes,
    cast(measures.prone_interventions as {{ dbt.type_int() }}) as prone_interventions,
    cast(case when measures.physical_interventions > 0
        then {{ divide_as_double('measures.prone_interventions', 'measures.physical_interventions') }} end as double)
        as share_prone
from measures
left join months
    on measures.provider_code = months.provider_code
    and measures.cycle_year = months.cycle_year
