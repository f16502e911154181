{{ config(meta={'dagster': {'ref': {'name': 'national_indicators'}}}) }}
-- Unit test of the round_half_up macro: returns every case whose result differs from exact
-- half-up rounding to one decimal. Ties are the point: in DuckDB, decimal / decimal is DOUBLE,
-- and e.g. 1020 / 1600 * 100 = 63.74999999999999 rounds to 63.7 instead of 63.8; binary
-- floating point holds 3.15 and 1.45 as 3.1499.. and 1.4499.. The macro uses whole numbers.
{%- set cases = [
    ('tie 12.25 percent', '49', '400', 100, '12.3'),
    ('tie 6.25 percent', '1', '16', 100, '6.3'),
    ('tie 63.75 percent, 63.7 in DOUBLE', '1020', '1600', 100, '63.8'),
    ('exact 12.5 percent', '1', '8', 100, '12.5'),
    ('two thirds', '2', '3', 100, '66.7'),
    ('one third', '1', '3', 100, '33.3'),
    ('zero numerator', '0', '5', 100, '0.0'),
    ('tie 3.15 plain', '3.15', '1', 1, '3.2'),
    ('tie 1.45 plain', '1.45', '1', 1, '1.5'),
    ('tie 0.05 plain', '0.05', '1', 1, '0.1'),
    ('just below a tie', '0.0499', '1', 1, '0.0'),
    ('per 1000 tie', '1', '800', 1000, '1.3'),
    ('ratio with decimals', '35.5', '15', 1, '2.4'),
    ('large sums per 1000', '123456789012', '987654321098', 1000, '125.0'),
    ('largest decimal(18,4) over itself', '99999999999999.9999', '99999999999999.9999', 1000, '1000.0'),
    ('zero denominator', '5', '0', 100, none),
] %}
with cases as (
    {%- for name, numerator, denominator, factor, expected in cases %}
    select
        '{{ name }}' as case_name,
        cast({{ numerator }} as decimal(18, 4)) as numerator,
        cast({{ denominator }} as decimal(18, 4)) as denominator,
        {{ factor }} as factor,
        cast({{ expected if expected is not none else 'null' }} as decimal(12, 1)) as expected
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

results as (
    select
        case_name,
        expected,
        {{ round_half_up('numerator', 'denominator', 'factor') }} as actual
    from cases
)

select *
from results
where actual is distinct from expected
