{#-
  Floor division of two non-negative whole numbers held as decimal(38,0), returning
  decimal(38,0). The one dialect difference of the project's arithmetic:
  DuckDB's `/` on integers returns DOUBLE (inexact), its integer division operator is `//`
  (on HUGEINT, 128-bit, so no overflow below 10^38); Spark (and the default) use `div`.
  Only used with non-negative operands, where truncation and floor agree.
-#}
{% macro integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_divide', 'ldis')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}
    cast(({{ dividend }}) div ({{ divisor }}) as decimal(38, 0))
{%- endmacro %}

{% macro duckdb__integer_divide(dividend, divisor) -%}
    cast(cast({{ dividend }} as hugeint) // cast({{ divisor }} as hugeint) as decimal(38, 0))
{%- endmacro %}
