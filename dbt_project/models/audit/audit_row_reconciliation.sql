{%- set tables = source_columns().keys() | list -%}
with counts as (
    {%- for table in tables %}
        select
            '{{ table }}' as source_table,
            (select count(*) from {{ ref('raw_' ~ table) }}) as raw_rows,
            (select count(*) from {{ ref('stg_' ~ table) }}) as staged_rows,
            (
                select count(*) from {{ ref('audit_rejected_rows') }}
                where source_table = '{{ table }}'
            ) as rejected_rows
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    source_table,
    raw_rows,
    staged_rows,
    rejected_rows,
    raw_rows = staged_rows + rejected_rows as reconciles
from counts
