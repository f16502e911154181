select
    trim(answer_scale) as answer_scale,
    answer,
    cast({{ adapter.quote('order') }} as {{ dbt.type_int() }}) as answer_order
from {{ ref('staff_survey_scales') }}
