-- Read by the plausibility rules (Python) between the two dbt builds: on Spark, Parquet that is handed
-- to the working DuckDB (macros/spark_location.sql).
{{ config(file_format='parquet', location_root=spark_location('intermediate')) }}
-- Feed totals per NHS trust and cycle for the R10 cross-check with the organisational return
-- (incident_feed.md, "Cross-check"): a trust's provider codes are summed; months_covered counts the
-- distinct months of the cycle's financial year with any record of the trust's feed (current or
-- quarantined rows), and R10 is evaluated only when it is 12.
with trust_providers as (
    select provider_code, org_code
    from {{ ref('stg_incidents__providers') }}
    where sector = 'nhs' and org_code is not null and org_code <> ''
),

interventions as (
    select
        trust_providers.org_code,
        interventions.cycle_year,
        interventions.month,
        {{ dbt.concat(["interventions.provider_code", "'|'", "interventions.incident_id"]) }} as incident_key,
        interventions.intervention_type
    from {{ ref('stg_incidents__interventions') }} as interventions
    inner join trust_providers
        on interventions.provider_code = trust_providers.provider_code
),

months as (
    select org_code, cycle_year, month from interventions
    union
    select trust_providers.org_code, quarantine.cycle_year, quarantine.month
    from {{ ref('stg_incidents__quarantine') }} as quarantine
    inner join trust_providers
        on quarantine.provider_code = trust_providers.provider_code
    where quarantine.month is not null
),

coverage as (
    select org_code, cycle_year, count(distinct month) as months_covered
    from months
    group by org_code, cycle_year
),

totals as (
    select
        org_code,
        cycle_year,
        count(distinct case when intervention_type in ('01', '07', '08', '09', '10', '11', '12', '13')
            then incident_key end) as physical_restraint_incidents,
        count(distinct case when intervention_type = '01' then incident_key end) as prone_restraint_incidents,
        sum(case when intervention_type = '14' then 1 else 0 end) as rapid_tranquillisation_interventions,
        sum(case when intervention_type = '04' then 1 else 0 end) as mechanical_restraint_interventions,
        sum(case when intervention_type = '05' then 1 else 0 end) as seclusion_interventions,
        sum(case when intervention_type = '06' then 1 else 0 end) as segregation_interventions
    from interventions
    group by org_code, cycle_year
)

select
    coverage.org_code,
    cast(coverage.cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(coverage.months_covered as {{ dbt.type_int() }}) as months_covered,
    cast(coalesce(totals.physical_restraint_incidents, 0) as {{ dbt.type_int() }}) as physical_restraint_incidents,
    cast(coalesce(totals.prone_restraint_incidents, 0) as {{ dbt.type_int() }}) as prone_restraint_incidents,
    cast(coalesce(totals.rapid_tranquillisation_interventions, 0) as {{ dbt.type_int() }}) as rapid_tranquillisation_interventions,
    cast(coalesce(totals.mechanical_restraint_interventions, 0) as {{ dbt.type_int() }}) as mechanical_restraint_interventions,
    cast(coalesce(totals.seclusion_interventions, 0) as {{ dbt.type_int() }}) as seclusion_interventions,
    cast(coalesce(totals.segregation_interventions, 0) as {{ dbt.type_int() }}) as segregation_interventions
from coverage
left join totals
    on coverage.org_code = totals.org_code
    and coverage.cycle_year = totals.cycle_year
