{#- Division as a double on both engines, NULL when the divisor is 0. DuckDB divides two decimals
    into a DOUBLE, Spark into a rounded DECIMAL: statistics (rates, ratios, Newcombe intervals,
    peer quartiles) must mean the same on either, so they divide doubles explicitly. Published
    indicator values do not use this: they are rounded exactly by round_half_up. -#}
{% macro divide_as_double(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide_as_double', 'ldis')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__divide_as_double(numerator, denominator) -%}
    try_divide(cast({{ numerator }} as double), cast({{ denominator }} as double))
{%- endmacro %}

{#- DuckDB's divide() is its `/` (on doubles, a double): written as a function so that no compiled
    model holds a `/` at all, and the portability lint can forbid it on both targets. -#}
{% macro duckdb__divide_as_double(numerator, denominator) -%}
    divide(cast({{ numerator }} as double), nullif(cast({{ denominator }} as double), 0))
{%- endmacro %}
