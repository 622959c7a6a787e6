-- Nothing is dropped silently: for every table, raw rows = staged rows + rejected rows.
select *
from {{ ref('audit_row_reconciliation') }}
where not reconciles
