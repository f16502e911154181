-- The commissioner's view: per commissioner, provider and financial year, the provider's use of
-- restrictive practice, its practice alerts by id and its training certification.
with providers as (
    select * from {{ ref('stg_incidents__providers') }}
),

annual as (
    select * from {{ ref('restrictive_practice_annual') }}
),

alerts as (
    select
        alerts.provider_code,
        cast(substr(alerts.month, 1, 4) as {{ dbt.type_int() }})
            + case when cast(substr(alerts.month, 6, 2) as {{ dbt.type_int() }}) >= 4 then 1 else 0 end as cycle_year,
        alerts.alert_id
    from {{ ref('restrictive_practice_alerts') }} as alerts
),

alert_counts as (
    select
        provider_code,
        cycle_year,
        sum(case when alert_id = 'PA01' then 1 else 0 end) as pa01_prone,
        sum(case when alert_id = 'PA02' then 1 else 0 end) as pa02_no_authority,
        sum(case when alert_id = 'PA03' then 1 else 0 end) as pa03_no_support,
        sum(case when alert_id = 'PA04' then 1 else 0 end) as pa04_no_review,
        sum(case when alert_id = 'PA05' then 1 else 0 end) as pa05_not_in_care_plan,
        sum(case when alert_id = 'PA06' then 1 else 0 end) as pa06_rising_months,
        sum(case when alert_id = 'PA07' then 1 else 0 end) as pa07_untrained_months,
        sum(case when alert_id = 'PA08' then 1 else 0 end) as pa08_prolonged_isolation
    from alerts
    group by provider_code, cycle_year
)

select
    cast(providers.commissioner_code as {{ dbt.type_string() }}) as commissioner_code,
    cast(annual.cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(providers.provider_code as {{ dbt.type_string() }}) as provider_code,
    cast(providers.provider_name as {{ dbt.type_string() }}) as provider_name,
    cast(providers.sector as {{ dbt.type_string() }}) as sector,
    cast(providers.setting_type as {{ dbt.type_string() }}) as setting_type,
    cast(providers.training_certification as {{ dbt.type_string() }}) as training_certification,
    cast(annual.people as {{ dbt.type_int() }}) as people,
    cast(annual.incidents as {{ dbt.type_int() }}) as incidents,
    cast(annual.interventions as {{ dbt.type_int() }}) as interventions,
    cast(annual.occupied_bed_days as double) as occupied_bed_days,
    cast(annual.interventions_per_1000_bed_days as double) as interventions_per_1000_bed_days,
    cast(annual.prone_interventions as {{ dbt.type_int() }}) as prone_interventions,
    {% for column in ['pa01_prone', 'pa02_no_authority', 'pa03_no_support', 'pa04_no_review',
                      'pa05_not_in_care_plan', 'pa06_rising_months', 'pa07_untrained_months',
                      'pa08_prolonged_isolation'] %}
    cast(coalesce(alert_counts.{{ column }}, 0) as {{ dbt.type_int() }}) as {{ column }}{{ "," if not loop.last }}
    {% endfor %}
from annual
inner join providers
    on annual.provider_code = providers.provider_code
left join alert_counts
    on annual.provider_code = alert_counts.provider_code
    and annual.cycle_year = alert_counts.cycle_year
