select
    trim(alert_id) as alert_id,
    alert,
    condition
from {{ ref('practice_alerts') }}
