-- Practice alerts PA01-PA08 (practice_alerts.csv). Incident alerts (PA01-PA05, PA08) carry the
-- incident id and the month of its first intervention; month alerts (PA06, PA07) have no incident.
with interventions as (
    select * from {{ ref('stg_incidents__interventions') }}
),

incident_months as (
    select provider_code, incident_id, min(month) as month
    from interventions
    group by provider_code, incident_id
),

incident_alerts as (
    select 'PA01' as alert_id, provider_code, incident_id, 'prone restraint (type 01)' as detail
    from interventions where intervention_type = '01'
    union
    select 'PA02', provider_code, incident_id, {{ dbt.concat(["'authority '", "authority"]) }}
    from interventions where authority in ('NONE', 'UNKNOWN')
    union
    select 'PA03', provider_code, incident_id, 'post_incident_support = N'
    from interventions where post_incident_support = 'N'
    union
    select 'PA04', provider_code, incident_id, 'post_incident_review = N'
    from interventions where post_incident_review = 'N'
    union
    select 'PA05', provider_code, incident_id, 'in_care_plan = N'
    from interventions where in_care_plan = 'N'
    union
    -- an intervention still open is measured up to its record_updated_at
    select
        'PA08',
        provider_code,
        incident_id,
        {{ dbt.concat([
            "'type '", "intervention_type", "' lasted '",
            "cast(cast(" ~ round_statistic(divide_as_double("coalesce(duration_minutes, " ~ minutes_between("start_at", "record_updated_at") ~ ")", "1440")) ~ " as decimal(10, 1)) as " ~ dbt.type_string() ~ ")",
            "' days'"]) }}
    from interventions
    where intervention_type in ('05', '06', 'X1')
        and coalesce(duration_minutes, {{ minutes_between("start_at", "record_updated_at") }}) > 7 * 1440
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
    cast(incident_alerts.alert_id as {{ dbt.type_string() }}) as alert_id,
    cast(incident_alerts.provider_code as {{ dbt.type_string() }}) as provider_code,
    cast(incident_months.month as {{ dbt.type_string() }}) as month,
    cast(incident_alerts.incident_id as {{ dbt.type_string() }}) as incident_id,
    cast(min(incident_alerts.detail) as {{ dbt.type_string() }}) as detail
from incident_alerts
inner join incident_months
    on incident_alerts.provider_code = incident_months.provider_code
    and incident_alerts.incident_id = incident_months.incident_id
group by incident_alerts.alert_id, incident_alerts.provider_code, incident_months.month, incident_alerts.incident_id
union all
select
    cast(alert_id as {{ dbt.type_string() }}),
    cast(provider_code as {{ dbt.type_string() }}),
    cast(month as {{ dbt.type_string() }}),
    cast(null as {{ dbt.type_string() }}),
    cast(detail as {{ dbt.type_string() }})
from month_alerts
