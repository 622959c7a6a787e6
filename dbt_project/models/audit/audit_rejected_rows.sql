{#- Every raw row kept out of staging, with its reason and its original text as JSON. -#}
{%- set tables = source_columns() -%}
{%- for table, columns in tables.items() %}
select
    '{{ table }}' as source_table,
    validated.source_row,
    validated.source_key,
    validated.reject_reason as reason,
    {{ raw_values_json(columns, 'raw') }} as raw_values
from {{ ref('validated_' ~ table) }} as validated
inner join {{ ref('raw_' ~ table) }} as raw
    on validated.source_row = raw._source_row
where validated.reject_reason is not null
{% if not loop.last %}union all{% endif %}
{%- endfor %}
