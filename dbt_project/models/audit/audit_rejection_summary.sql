-- Rejected rows by table and reason, with the reason's priority and description from the
-- reject_reasons seed (the one list of reasons), for the CLI and the dashboard.
with rejected as (
    select
        source_table,
        reason,
        count(*) as rejected_rows,
        min(source_row) as first_source_row
    from {{ ref('audit_rejected_rows') }}
    group by source_table, reason
)

select
    rejected.source_table,
    rejected.reason,
    reasons.priority,
    reasons.description,
    rejected.rejected_rows,
    rejected.first_source_row
from rejected
left join {{ ref('reject_reasons') }} as reasons
    on
        rejected.source_table = reasons.source_table
        and rejected.reason = reasons.reason
