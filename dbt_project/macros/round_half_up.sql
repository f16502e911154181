{#-
  Exact decimal rounding for published figures.

  round_half_up(numerator, denominator, factor=1, scale=4)
    = factor * numerator / denominator, rounded half-up to one decimal place,
      as decimal(12,1); NULL when the denominator is NULL or 0.

  Why not round(x, 1): DuckDB divides decimal by decimal in DOUBLE, so 100 * 49 / 400
  may come out as 12.249999... and round to 12.2. The contract wants 12.25 -> 12.3.

  How: both operands are exact decimals with at most `scale` decimal places. They are
  scaled to whole numbers n, d (x * 10^scale, decimal(38,0)); then, in whole-number
  arithmetic only,
        tenths = floor((20 * factor * n + d) / (2 * d))        -- = floor(10*factor*n/d + 1/2)
        value  = tenths * 0.1
  which is half-up rounding of factor*n/d to tenths with no binary float anywhere.
  `factor` is a whole number (100 for percent, 1000 for per_1000, 1 otherwise) and may be
  a column. Operands are non-negative (counts, sums of counts, WTE, hours, trust counts).
  Headroom: decimal(38,0) / HUGEINT, so 20 * 1000 * n must stay below 10^38: sums up to
  10^29 (scale 4) are safe.

  Unit-tested by tests/singular/assert_round_half_up_is_exact.sql and the unit tests of
  int_indicators_aggregated.
-#}
{% macro to_scaled_integer(expression, scale=4) -%}
    {%- if scale == 0 -%}
    cast({{ expression }} as decimal(38, 0))
    {%- else -%}
    cast(cast({{ expression }} as decimal(38, {{ scale }})) * {{ 10 ** scale }} as decimal(38, 0))
    {%- endif -%}
{%- endmacro %}

{% macro round_half_up(numerator, denominator, factor=1, scale=4) -%}
    {%- set n = to_scaled_integer(numerator, scale) -%}
    {%- set d = to_scaled_integer(denominator, scale) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 or ({{ numerator }}) is null then null
        else cast(
            {{ integer_divide('20 * (' ~ factor ~ ') * ' ~ n ~ ' + ' ~ d, '2 * ' ~ d) }}
            * cast(0.1 as decimal(2, 1))
            as decimal(12, 1))
    end
{%- endmacro %}
