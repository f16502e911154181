{#-
  Custom schemas are used as they are (no `<target schema>_` prefix): models land in
  `staging`, `intermediate` and `marts`, seeds in `catalogue` (see dbt_project.yml).
  A node without a custom schema goes to the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
