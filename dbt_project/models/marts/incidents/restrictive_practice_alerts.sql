-- Practice alerts PA01-PA08 (practice_alerts.csv). Incident alerts (PA01-PA05, PA08) carry the
-- incident id and the month of its first intervention; month alerts (PA06, PA07) have no incident.
-- One pass over the interventions: each incident's month and, per incident alert, whether it fires
-- (and its detail, the least when several interventions fire it), then one row per firing alert.
with incidents as (
    select
        provider_code,
        incident_id,
        min(month) as month,
        max(case when intervention_type = '01' then 'prone restraint (type 01)' end) as pa01,
        min(case when authority in ('NONE', 'UNKNOWN') then {{ dbt.concat(["'authority '", "authority"]) }} end) as pa02,
        max(case when post_incident_support = 'N' then 'post_incident_support = N' end) as pa03,
        max(case when post_incident_review = 'N' then 'post_incident_review = N' end) as pa04,
        max(case when in_care_plan = 'N' then 'in_care_plan = N' end) as pa05,
        -- an intervention still open is measured up to its record_updated_at
        min(case
            when intervention_type in ('05', '06', 'X1')
                and coalesce(duration_minutes, {{ minutes_between("start_at", "record_updated_at") }}) > 7 * 1440
            then {{ dbt.concat([
                "'type '", "intervention_type", "' lasted '",
                "cast(cast(" ~ round_statistic(divide_as_double("coalesce(duration_minutes, " ~ minutes_between("start_at", "record_updated_at") ~ ")", "1440")) ~ " as decimal(10, 1)) as " ~ dbt.type_string() ~ ")",
                "' days'"]) }}
        end) as pa08
    from {{ ref('stg_incidents__interventions') }}
    group by provider_code, incident_id
),

-- the incident alerts as rows: each incident meets the catalogue's incident alerts once
incident_alerts as (
    select
        catalogue.alert_id,
        incidents.provider_code,
        incidents.month,
        incidents.incident_id,
        case catalogue.alert_id
            when 'PA01' then incidents.pa01
            when 'PA02' then incidents.pa02
            when 'PA03' then incidents.pa03
            when 'PA04' then incidents.pa04
            when 'PA05' then incidents.pa05
            when 'PA08' then incidents.pa08
        end as detail
    from incidents
    cross join {{ ref('stg_catalogue__practice_alerts') }} as catalogue
    where catalogue.alert_id in ('PA01', 'PA02', 'PA03', 'PA04', 'PA05', 'PA08')
),

month_alerts as (
    select
        'PA06' as alert_id,
        provider_code,
        month,
        {{ dbt.concat([
            "case when above_upper_limit then 'above upper process limit; ' else '' end",
            "case when in_run_above_mean then '7+ points above the mean; ' else '' end",
            "case when in_rising_trend then '6+ points rising; ' else '' end",
            "rate_basis"]) }} as detail
    from {{ ref('int_incident_rates_charted') }}
    where special_cause_rising
    union all
    select
        'PA07',
        months.provider_code,
        months.month,
        {{ dbt.concat(["'training '", "providers.training_certification", "'; '",
                       "cast(months.incidents as " ~ dbt.type_string() ~ ")", "' incidents'"]) }}
    from {{ ref('int_incident_provider_months_joined') }} as months
    inner join {{ ref('stg_incidents__providers') }} as providers
        on months.provider_code = providers.provider_code
    where providers.training_certification in ('none', 'working_towards')
        and months.incidents > 0
)

select
    cast(alert_id as {{ dbt.type_string() }}) as alert_id,
    cast(provider_code as {{ dbt.type_string() }}) as provider_code,
    cast(month as {{ dbt.type_string() }}) as month,
    cast(incident_id as {{ dbt.type_string() }}) as incident_id,
    cast(detail as {{ dbt.type_string() }}) as detail
from incident_alerts
where detail is not null
union all
select
    cast(alert_id as {{ dbt.type_string() }}),
    cast(provider_code as {{ dbt.type_string() }}),
    cast(month as {{ dbt.type_string() }}),
    cast(null as {{ dbt.type_string() }}),
    cast(detail as {{ dbt.type_string() }})
from month_alerts
