-- The PA06 XmR chart as data, one row per provider and month, so an analyst can plot it
-- (see int_incident_rates_charted for the rules).
select
    cast(provider_code as {{ dbt.type_string() }}) as provider_code,
    cast(month as {{ dbt.type_string() }}) as month,
    cast(point_index as {{ dbt.type_int() }}) as point_index,
    cast(interventions as {{ dbt.type_int() }}) as interventions,
    cast(occupied_bed_days as double) as occupied_bed_days,
    cast(rate_basis as {{ dbt.type_string() }}) as rate_basis,
    cast(rate as double) as rate,
    cast(mean_rate as double) as mean_rate,
    cast(upper_process_limit as double) as upper_process_limit,
    cast(lower_process_limit as double) as lower_process_limit,
    cast(is_baseline as {{ dbt.type_boolean() }}) as is_baseline,
    cast(above_upper_limit as {{ dbt.type_boolean() }}) as above_upper_limit,
    cast(in_run_above_mean as {{ dbt.type_boolean() }}) as in_run_above_mean,
    cast(in_rising_trend as {{ dbt.type_boolean() }}) as in_rising_trend,
    cast(special_cause_rising as {{ dbt.type_boolean() }}) as special_cause_rising
from {{ ref('int_incident_rates_charted') }}
