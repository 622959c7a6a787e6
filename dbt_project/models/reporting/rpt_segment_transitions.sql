-- Customers by previous segment -> current segment since the previous run (the "What changed
-- since the last run" page), largest movements first.
select
    previous_run_id,
    previous_as_of_date,
    current_run_id,
    current_as_of_date,
    previous_segment_name,
    current_segment_name,
    transition,
    customers,
    share_of_previous_segment,
    share_of_matched,
    row_number() over (
        order by
            case transition when 'moved' then 0 when 'new' then 1 when 'gone' then 2 else 3 end asc,
            customers desc,
            previous_segment_name asc,
            current_segment_name asc
    ) as movement_rank
from {{ ref('segment_transitions') }}
