{#- A statistic computed in doubles (a quartile, a mean, a difference of fractions), rounded
    half-up to `digits` decimals the same way on every engine. round() of a double is not: a figure
    that is exactly x.x5 in decimal is 58.349999... or 58.350000...1 in binary depending on how the
    engine interpolated or summed, and the engines' round() of doubles differ too. Going through
    decimal(28, 9) first absorbs those last bits; rounding a decimal is half-up on both engines. -#}
{% macro round_statistic(expression, digits=1) -%}
    round(cast({{ expression }} as decimal(28, 9)), {{ digits }})
{%- endmacro %}
