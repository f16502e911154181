select
    upper(trim(question_id)) as question_id,
    question,
    trim(answer_scale) as answer_scale,
    trim(asked_of) as asked_of,
    routing
from {{ ref('staff_survey_questions') }}
