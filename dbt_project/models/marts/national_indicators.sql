-- National figures of the organisational-return indicators (sources org_return and
-- org_return_activity), one row per indicator per cycle in which its items were collected.
-- Logic: int_indicators_scoped -> int_indicator_inputs_joined -> int_indicators_aggregated.
-- This is the working database's figure; the publish gate (audit) decides what is published.
select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(standard as {{ dbt.type_int() }}) as standard,
    cast(population as {{ dbt.type_string() }}) as population,
    cast(numerator as decimal(18, 4)) as numerator,
    cast(denominator as decimal(18, 4)) as denominator,
    cast(value as decimal(12, 1)) as value,
    cast(unit as {{ dbt.type_string() }}) as unit
from {{ ref('int_indicators_aggregated') }}
