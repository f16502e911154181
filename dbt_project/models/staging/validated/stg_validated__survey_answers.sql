select
    trim(source) as source,
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    response_key,
    upper(trim(org_code)) as org_code,
    upper(trim(question_id)) as question_id,
    answer_raw,
    answer_value,
    cast(routed_out as {{ dbt.type_boolean() }}) as routed_out,
    cast(counts_as_answer as {{ dbt.type_boolean() }}) as counts_as_answer
from {{ source('validated', 'survey_answers') }}
