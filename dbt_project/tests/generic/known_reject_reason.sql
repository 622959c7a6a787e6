{#- Passes when every reject reason in the column is one the reject_reasons seed lists for
    its table: a literal `source_table`, or a column `table_column` holding the table name.
    So each table accepts only its own reasons, and the seed is the one list of them. -#}
{% test known_reject_reason(model, column_name, source_table=none, table_column=none) %}
{%- set table_expr = "'" ~ source_table ~ "'" if source_table else 'judged.' ~ table_column -%}
with judged as (
    select distinct
        {{ table_expr }} as source_table,
        {{ column_name }} as reason
    from {{ model }} as judged
    where {{ column_name }} is not null
)

select judged.*
from judged
where not exists (
    select 1
    from {{ ref('reject_reasons') }} as listed
    where listed.source_table = judged.source_table and listed.reason = judged.reason
)
{% endtest %}
