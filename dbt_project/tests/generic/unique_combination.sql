{#- Grain test: no two rows share the same values of `columns` (dbt_utils'
    unique_combination_of_columns, which is not available offline). Returns each duplicated
    key with how many rows carry it; nulls count as values, so a null key part that repeats
    fails too. -#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as rows_per_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
