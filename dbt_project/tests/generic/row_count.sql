{#- Passes when the model has between min_value and max_value rows (max optional): a grain
    test for one-row models (run context, summaries), which have no key to test unique. -#}
{% test row_count(model, min_value=1, max_value=none) %}
select row_count
from (select count(*) as row_count from {{ model }}) as counted
where
    row_count < {{ min_value }}
    {%- if max_value is not none %} or row_count > {{ max_value }}{% endif %}
{% endtest %}
