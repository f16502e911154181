{{ config(tags=['flag_loop']) }}
-- Which plausibility rules were evaluated for each cycle (and trust), and why not where not: a
-- rule that could not run (R10 without the incident-feed totals, or without the trust's 12
-- months) says so here instead of passing silently.
select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(upper(trim(rule_id)) as {{ dbt.type_string() }}) as rule_id,
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(detail as {{ dbt.type_string() }}) as detail
from {{ source('validated', 'rule_evaluations') }}
