{#-
  Wilson score interval bound (no continuity correction) for a proportion p = x / n, as a
  fraction: (2np + z^2 -/+ z * sqrt(z^2 + 4np(1 - p))) / (2(n + z^2)).
  `sign` is '-' for the lower bound, '+' for the upper. z = 1.959963984540054 (95 %).
  Used by indicator_year_on_year for Newcombe's hybrid score interval (method 10).
-#}
{% macro wilson_bound(p, n, sign) -%}
    ((2 * ({{ n }}) * ({{ p }}) + {{ var('z_95') }} * {{ var('z_95') }}
      {{ sign }} {{ var('z_95') }} * sqrt({{ var('z_95') }} * {{ var('z_95') }}
                                 + 4 * ({{ n }}) * ({{ p }}) * (1 - ({{ p }}))))
     / (2 * (({{ n }}) + {{ var('z_95') }} * {{ var('z_95') }})))
{%- endmacro %}
