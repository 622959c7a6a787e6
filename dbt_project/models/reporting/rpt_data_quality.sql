-- Rows kept out of the warehouse, by table and reason, for the definitions page.
select
    reconciliation.source_table,
    reconciliation.raw_rows,
    reconciliation.staged_rows,
    reconciliation.rejected_rows,
    summary.reason,
    coalesce(summary.rejected_rows, 0) as reason_rows
from {{ ref('audit_row_reconciliation') }} as reconciliation
left join {{ ref('audit_rejection_summary') }} as summary
    on reconciliation.source_table = summary.source_table
