{{ config(meta={'dagster': {'ref': {'name': 'national_indicators'}}}) }}
-- A percentage lies between 0 and 100 (shares, and pooled rates / mean ratios of a part over
-- its whole: a part larger than its whole carries R05, an error, and is excluded).
select *
from {{ ref('national_indicators') }}
where unit = 'percent'
    and (value < 0 or value > 100)
