{{ config(tags=['flag_loop']) }}
-- Every flag, one row per flag_id, with its status (see int_validation_flags_resolved for
-- how status is derived) and the values of its latest occurrence.
select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(flag_id as {{ dbt.type_string() }}) as flag_id,
    cast(rule_id as {{ dbt.type_string() }}) as rule_id,
    cast(severity as {{ dbt.type_string() }}) as severity,
    cast(item_id as {{ dbt.type_string() }}) as item_id,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(submitted_value as {{ dbt.type_string() }}) as submitted_value,
    cast(expected as {{ dbt.type_string() }}) as expected,
    cast(message as {{ dbt.type_string() }}) as message
from {{ ref('int_validation_flags_resolved') }}
