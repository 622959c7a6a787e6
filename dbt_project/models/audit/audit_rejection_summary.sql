select
    source_table,
    reason,
    count(*) as rejected_rows,
    min(source_row) as first_source_row
from {{ ref('audit_rejected_rows') }}
group by source_table, reason
