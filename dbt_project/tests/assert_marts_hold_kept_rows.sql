-- The marts hold exactly the kept rows of the reconciliation (staged, on or before the as-of
-- date): raw = kept + after the as-of date + rejected is a statement about the marts.
with marts as (
    select
        'customers' as source_table,
        count(*) as mart_rows
    from {{ ref('dim_customers') }}
    union all
    select
        'transactions' as source_table,
        count(*) as mart_rows
    from {{ ref('fct_coupon_transactions') }}
)

select
    reconciliation.source_table,
    reconciliation.kept_rows,
    marts.mart_rows
from {{ ref('audit_row_reconciliation') }} as reconciliation
inner join marts on reconciliation.source_table = marts.source_table
where reconciliation.kept_rows <> marts.mart_rows
