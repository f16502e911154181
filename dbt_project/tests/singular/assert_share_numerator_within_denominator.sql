{{ config(meta={'dagster': {'ref': {'name': 'national_indicators'}}}) }}
-- A share's numerator (trusts answering in the numerator set) can never exceed its
-- denominator (trusts answering in the denominator set).
select figures.*
from {{ ref('national_indicators') }} as figures
inner join {{ ref('stg_catalogue__indicators') }} as indicators
    on figures.indicator_id = indicators.indicator_id
where indicators.kind = 'share'
    and (figures.numerator > figures.denominator or figures.numerator < 0)
