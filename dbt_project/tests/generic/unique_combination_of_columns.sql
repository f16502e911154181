{#-
  Fails for every combination of `combination_of_columns` that occurs more than once.
  (The project has no package dependencies; this is the dbt_utils test of the same name.)
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
