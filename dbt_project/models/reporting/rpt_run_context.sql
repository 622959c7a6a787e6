select
    context.*,
    (select count(*) from {{ ref('dim_customers') }}) as customers,
    (select count(*) from {{ ref('fct_coupon_transactions') }}) as transactions,
    (select sum(rejected_rows) from {{ ref('audit_row_reconciliation') }}) as rejected_rows
from {{ ref('run_context') }} as context
