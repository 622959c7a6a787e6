{#- Per table: raw rows = kept + rejected + after the as-of date. Rows after the as-of date
    (a customer who joined later, a transaction claimed later) are valid and stay in staging,
    but have not happened yet at the as-of date, so no mart counts them. -#}
{%- set tables = source_columns().keys() | list -%}
{%- set after_as_of = {
    'customers': 'join_date',
    'transactions': 'claim_date',
} -%}
with context as (
    select as_of_date from {{ ref('int_run_context') }}
),

counts as (
    {%- for table in tables %}
        select
            '{{ table }}' as source_table,
            (select count(*) from {{ ref('raw_' ~ table) }}) as raw_rows,
            (select count(*) from {{ ref('stg_' ~ table) }}) as staged_rows,
            {% if table in after_as_of -%}
                (
                    select count(*)
                    from {{ ref('stg_' ~ table) }} as staged
                    cross join context
                    where staged.{{ after_as_of[table] }} > context.as_of_date
                )
            {%- else -%}
                cast(0 as bigint)
            {%- endif %} as after_as_of_rows,
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
    staged_rows - after_as_of_rows as kept_rows,
    after_as_of_rows,
    rejected_rows,
    raw_rows = staged_rows + rejected_rows as reconciles
from counts
