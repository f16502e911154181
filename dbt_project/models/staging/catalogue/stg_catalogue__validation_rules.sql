select
    upper(trim(rule_id)) as rule_id,
    trim(applies_to) as applies_to,
    lower(trim(severity)) as severity,
    {{ adapter.quote('check') }} as rule_check,
    message_to_submitter
from {{ ref('validation_rules') }}
