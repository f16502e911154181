select
    upper(trim(item_id)) as item_id,
    section,
    cast(standard as {{ dbt.type_int() }}) as standard,
    trim(measure) as measure,
    question,
    trim(response_type) as response_type,
    trim(applies_to) as applies_to,
    upper(trim(parent_item)) as parent_item,
    cast(first_cycle as {{ dbt.type_int() }}) as first_cycle,
    upper(trim(not_applicable_allowed)) = 'Y' as not_applicable_allowed
from {{ ref('org_return_items') }}
