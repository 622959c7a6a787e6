{#- Passes when no two rows share the same values of all the given columns (a composite key).
    Written here because dbt packages (dbt_utils) cannot be installed offline. -#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
