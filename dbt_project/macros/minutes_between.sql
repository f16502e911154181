{#- Minutes from `start_at` to `end_at` (timestamps) as a double, counted in whole seconds and
    divided by 60: the same measure as the incident feed's duration_minutes (lib/incidents.py).
    Not dbt.datediff(..., 'minute'): DuckDB counts minute boundaries crossed, dbt-spark rounds the
    seconds up to the next minute, so an interval of 1 min 40 s is 1 on one engine and 2 on the other. -#}
{% macro minutes_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('minutes_between', 'ldis')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__minutes_between(start_at, end_at) -%}
    {{ divide_as_double('unix_timestamp(' ~ end_at ~ ') - unix_timestamp(' ~ start_at ~ ')', '60') }}
{%- endmacro %}

{% macro duckdb__minutes_between(start_at, end_at) -%}
    {{ divide_as_double("date_diff('second', " ~ start_at ~ ", " ~ end_at ~ ")", '60') }}
{%- endmacro %}
