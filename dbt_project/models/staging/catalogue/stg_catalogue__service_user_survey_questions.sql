select
    upper(trim(question_id)) as question_id,
    question,
    routing
from {{ ref('service_user_survey_questions') }}
