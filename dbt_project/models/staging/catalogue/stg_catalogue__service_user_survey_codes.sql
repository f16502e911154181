select
    trim(code) as code,
    meaning,
    upper(trim(counts_as_answer)) = 'Y' as counts_as_answer
from {{ ref('service_user_survey_codes') }}
