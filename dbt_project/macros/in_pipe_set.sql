{#-
  True when `value` is one of the members of a pipe-separated set such as 'Yes|No'
  (the numerator / denominator / parent_values columns of the indicators catalogue).

  Portable string matching, no arrays:  '|' || set || '|'  like  '%|' || value || '|%'.
  A NULL value or set gives NULL (treated as "not in the set" by WHERE / CASE WHEN).
  Members must not contain '|', '%' or '_' (the catalogue's members do not).
-#}
{% macro in_pipe_set(value, pipe_set) -%}
    ({{ dbt.concat(["'|'", pipe_set, "'|'"]) }} like {{ dbt.concat(["'%|'", value, "'|%'"]) }})
{%- endmacro %}
