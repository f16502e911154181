-- XmR chart of each provider's monthly rate of restrictive interventions (practice alert PA06),
-- NHS Making Data Count rules (practice_alerts.csv):
--   rate: interventions per 1,000 occupied bed days when every charted month has bed days,
--         else interventions per month;
--   mean and process limits (mean +/- 2.66 x mean moving range) from the first 12 points;
--   signals on later points: above the upper process limit; 7 or more consecutive later points
--   above the mean; a rising trend of 6 or more consecutive points each higher than the one
--   before (MDC's "six increasing points": 5 consecutive increases).
-- A provider with fewer than 12 points has no limits and no signal.
with months as (
    select * from {{ ref('int_incident_provider_months_joined') }}
),

basis as (
    select
        provider_code,
        min(case when occupied_bed_days > 0 then 1 else 0 end) = 1 as every_month_has_bed_days,
        count(*) as points
    from months
    group by provider_code
),

points as (
    select
        months.provider_code,
        months.month,
        months.month_number,
        months.interventions,
        months.occupied_bed_days,
        case when basis.every_month_has_bed_days then 'per_1000_bed_days' else 'per_month' end as rate_basis,
        case
            when basis.every_month_has_bed_days then {{ divide_as_double('months.interventions * 1000.0', 'months.occupied_bed_days') }}
            else months.interventions * 1.0
        end as rate,
        basis.points,
        row_number() over (partition by months.provider_code order by months.month_number nulls last) as point_index
    from months
    inner join basis
        on months.provider_code = basis.provider_code
),

moving as (
    select
        *,
        abs(rate - lag(rate) over (partition by provider_code order by point_index nulls last)) as moving_range,
        rate > lag(rate) over (partition by provider_code order by point_index nulls last) as higher_than_previous
    from points
),

baseline as (
    select
        provider_code,
        avg(rate) as mean_rate,
        avg(case when point_index > 1 then moving_range end) as mean_moving_range
    from moving
    where point_index <= 12
    group by provider_code
),

limited as (
    select
        moving.*,
        case when moving.points >= 12 then baseline.mean_rate end as mean_rate,
        case when moving.points >= 12 then baseline.mean_rate + 2.66 * baseline.mean_moving_range end
            as upper_process_limit,
        case when moving.points >= 12 then baseline.mean_rate - 2.66 * baseline.mean_moving_range end
            as lower_process_limit,
        moving.point_index <= 12 as is_baseline
    from moving
    inner join baseline
        on moving.provider_code = baseline.provider_code
),

later as (
    select
        *,
        case when rate > mean_rate then 1 else 0 end as above_mean,
        case when higher_than_previous then 1 else 0 end as rising
    from limited
    where not is_baseline and mean_rate is not null
),

islands as (
    select
        *,
        point_index - row_number() over (partition by provider_code, above_mean order by point_index nulls last) as mean_run,
        point_index - row_number() over (partition by provider_code, rising order by point_index nulls last) as rise_run
    from later
),

runs as (
    select
        *,
        count(*) over (partition by provider_code, above_mean, mean_run) as mean_run_length,
        count(*) over (partition by provider_code, rising, rise_run) as rise_run_length
    from islands
),

signals as (
    select
        provider_code,
        point_index,
        rate > upper_process_limit as above_upper_limit,
        above_mean = 1 and mean_run_length >= 7 as in_run_above_mean,
        rising = 1 and rise_run_length >= 5 as in_rising_trend
    from runs
)

select
    limited.provider_code,
    limited.month,
    limited.point_index,
    limited.interventions,
    limited.occupied_bed_days,
    limited.rate_basis,
    limited.rate,
    limited.mean_rate,
    limited.upper_process_limit,
    limited.lower_process_limit,
    limited.is_baseline,
    coalesce(signals.above_upper_limit, false) as above_upper_limit,
    coalesce(signals.in_run_above_mean, false) as in_run_above_mean,
    coalesce(signals.in_rising_trend, false) as in_rising_trend,
    coalesce(signals.above_upper_limit or signals.in_run_above_mean or signals.in_rising_trend, false)
        as special_cause_rising
from limited
left join signals
    on limited.provider_code = signals.provider_code
    and limited.point_index = signals.point_index
