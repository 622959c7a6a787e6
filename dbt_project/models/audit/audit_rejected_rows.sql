{%- set tables = ['customers', 'genders', 'cities', 'transactions', 'branches', 'merchants'] -%}
{%- for table in tables %}
    select
        '{{ table }}' as source_table,
        source_row,
        source_key,
        reject_reason as reason,
        raw_values
    from {{ ref('validated_' ~ table) }}
    where reject_reason is not null
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
