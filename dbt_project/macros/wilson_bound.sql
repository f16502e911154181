{#-
  Wilson score interval bound (no continuity correction) for a proportion p = x / n, as a
  fraction: (2np + z^2 -/+ z * sqrt(z^2 + 4np(1 - p))) / (2(n + z^2)).
  `sign` is '-' for the lower bound, '+' for the upper. z = 1.959963984540054 (95 %).
  Used by indicator_year_on_year for Newcombe's hybrid score interval (method 10).
  All in doubles, divided by divide_as_double: DuckDB would mix decimal n and z into DOUBLE, Spark
  into DECIMAL rounded to 6 places, and the interval must be the same number on both engines.
-#}
{% macro wilson_bound(p, n, sign) -%}
    {%- set p = 'cast(' ~ p ~ ' as double)' -%}
    {%- set n = 'cast(' ~ n ~ ' as double)' -%}
    {%- set z = 'cast(' ~ var('z_95') ~ ' as double)' -%}
    {{ divide_as_double(
        '2 * ' ~ n ~ ' * ' ~ p ~ ' + ' ~ z ~ ' * ' ~ z ~ ' ' ~ sign ~ ' ' ~ z ~ ' * sqrt(' ~ z ~ ' * ' ~ z
            ~ ' + 4 * ' ~ n ~ ' * ' ~ p ~ ' * (1 - ' ~ p ~ '))',
        '2 * (' ~ n ~ ' + ' ~ z ~ ' * ' ~ z ~ ')') }}
{%- endmacro %}
