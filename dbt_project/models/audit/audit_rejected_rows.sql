{#- Every raw row kept out of staging, with its reason and its original values as JSON text.
    The first column of each table (source_columns) is its key. -#}
{%- set tables = source_columns() -%}
{%- for table, columns in tables.items() %}
select
    '{{ table }}' as source_table,
    validated.source_row,
    cast(raw.{{ columns[0] }} as {{ text_type() }}) as source_key,
    validated.reject_reason as reason,
    {{ raw_values_json(columns, 'raw') }} as raw_values
from {{ ref('validated_' ~ table) }} as validated
inner join {{ ref('raw_' ~ table) }} as raw
    on validated.source_row = raw._source_row
where validated.reject_reason is not null
{% if not loop.last %}union all{% endif %}
{%- endfor %}
