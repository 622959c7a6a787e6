-- Rows kept, rejected and after the as-of date, by table and reason, with each reason's
-- description from the reject_reasons seed, for the data-quality page.
select
    reconciliation.source_table,
    reconciliation.raw_rows,
    reconciliation.staged_rows,
    reconciliation.kept_rows,
    reconciliation.after_as_of_rows,
    reconciliation.rejected_rows,
    summary.reason,
    summary.description as reason_description,
    coalesce(summary.rejected_rows, 0) as reason_rows
from {{ ref('audit_row_reconciliation') }} as reconciliation
left join {{ ref('audit_rejection_summary') }} as summary
    on reconciliation.source_table = summary.source_table
