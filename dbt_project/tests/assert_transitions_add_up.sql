-- Transitions account for every customer: stayed + moved = customers in both runs,
-- new = customers only in this run, gone = customers only in the previous one (the run
-- segment_runs compares this one with). When that run's labels are no longer kept
-- (segment_history_keep_runs), there are no transitions at all, not every customer 'new'.
with previous_run as (
    select previous_run_id as run_id
    from {{ ref('segment_runs') }}
    where run_id = (select max(run_id) from {{ ref('segment_runs') }})
),

previous_labels as (
    select history.customer_id
    from {{ ref('segment_history') }} as history
    inner join previous_run on history.run_id = previous_run.run_id
),

expected as (
    select
        count_if(previous_labels.customer_id is not null and current_labels.customer_id is not null)
            as matched,
        count_if(previous_labels.customer_id is null) as new_customers,
        count_if(current_labels.customer_id is null) as gone_customers
    from previous_labels
    full outer join {{ ref('customer_segments') }} as current_labels
        on previous_labels.customer_id = current_labels.customer_id
),

counted as (
    select
        coalesce(sum(case when transition in ('stayed', 'moved') then customers end), 0)
            as matched,
        coalesce(sum(case when transition = 'new' then customers end), 0) as new_customers,
        coalesce(sum(case when transition = 'gone' then customers end), 0) as gone_customers
    from {{ ref('segment_transitions') }}
)

select
    expected.*,
    counted.matched as counted_matched,
    counted.new_customers as counted_new,
    counted.gone_customers as counted_gone
from expected
cross join counted
where
    (select run_id from previous_run) is not null
    and case
        when exists (select 1 from previous_labels)
            then
                expected.matched != counted.matched
                or expected.new_customers != counted.new_customers
                or expected.gone_customers != counted.gone_customers
        else counted.matched + counted.new_customers + counted.gone_customers > 0
    end
