{#- Where a model's table lives on the Spark target when Python reads it after the build:
    $LDIS_SPARK_DIR/<schema>, as Parquet (location_root; dbt-duckdb ignores it). The dbt asset hands
    every table written there to the working DuckDB (orchestration/lib/spark_engine.py). The marts
    get it for the whole folder in dbt_project.yml; an intermediate model that a Python step reads
    from the working DuckDB says so in its own config:
        {{ config(file_format='parquet', location_root=spark_location('intermediate')) }} -#}
{% macro spark_location(schema) -%}
    {{ return(env_var('LDIS_SPARK_DIR', '/nonexistent/ldis-spark') ~ '/' ~ schema) }}
{%- endmacro %}
