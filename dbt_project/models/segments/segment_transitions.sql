-- Customers by segment in the previous run -> segment in this run, with customers new since
-- the previous run and customers no longer present. A customer stayed when both runs' model
-- version is the same and so is their segment, or, across a retrain, when their segment's
-- type is the same: a retrained model may split a type in two ('New joiners' becomes 'New
-- joiners' and 'New joiners 2'), which is not a move of the customers it keeps. The previous run is segment_runs.previous_run_id: the
-- latest earlier run as of the same or an earlier date (not simply the run before in build
-- order, which may be a backfill). No rows when there is no previous run, or when its labels
-- are no longer kept (segment_history_keep_runs; rpt_segment_run says which).
with current_run as (
    select
        run_id,
        as_of_date,
        model_version,
        previous_run_id
    from {{ ref('segment_runs') }}
    where run_id = (select max(run_id) from {{ ref('segment_runs') }})
),

previous_run as (
    select
        runs.run_id,
        runs.as_of_date,
        runs.model_version
    from {{ ref('segment_runs') }} as runs
    inner join current_run on runs.run_id = current_run.previous_run_id
    -- its labels may have been deleted (segment_history_keep_runs): then nothing to compare
    where exists (
        select 1 from {{ ref('segment_history') }} as history
        where history.run_id = runs.run_id
    )
),

previous_labels as (
    select
        history.customer_id,
        history.model_version,
        history.segment_name,
        names.segment_type
    from {{ ref('segment_history') }} as history
    inner join previous_run on history.run_id = previous_run.run_id
    left join {{ ref('segment_names') }} as names
        on
            history.model_version = names.model_version
            and history.segment_id = names.segment_id
),

current_labels as (
    select
        segments.customer_id,
        segments.model_version,
        segments.segment_name,
        names.segment_type
    from {{ ref('customer_segments') }} as segments
    left join {{ ref('segment_names') }} as names
        on
            segments.model_version = names.model_version
            and segments.segment_id = names.segment_id
),

pairs as (
    select
        previous_labels.segment_name as previous_segment_name,
        current_labels.segment_name as current_segment_name,
        case
            when previous_labels.customer_id is null then 'new'
            when current_labels.customer_id is null then 'gone'
            when
                previous_labels.model_version = current_labels.model_version
                and previous_labels.segment_name = current_labels.segment_name
                then 'stayed'
            when
                previous_labels.model_version != current_labels.model_version
                and previous_labels.segment_type = current_labels.segment_type
                then 'stayed'
            else 'moved'
        end as transition
    from previous_labels
    full outer join current_labels
        on previous_labels.customer_id = current_labels.customer_id
    where exists (select 1 from previous_run)
),

counted as (
    select
        previous_segment_name,
        current_segment_name,
        transition,
        count(*) as customers
    from pairs
    group by previous_segment_name, current_segment_name, transition
)

select
    previous_run.run_id as previous_run_id,
    previous_run.as_of_date as previous_as_of_date,
    previous_run.model_version as previous_model_version,
    current_run.run_id as current_run_id,
    current_run.as_of_date as current_as_of_date,
    current_run.model_version as current_model_version,
    counted.previous_segment_name,
    counted.current_segment_name,
    counted.transition,
    counted.customers,
    case when counted.transition != 'new' then
        cast(counted.customers as double) / sum(counted.customers) over (
            partition by counted.previous_segment_name
        )
    end as share_of_previous_segment,
    case when counted.transition in ('stayed', 'moved') then
        cast(counted.customers as double) / sum(
            case when counted.transition in ('stayed', 'moved') then counted.customers end
        ) over ()
    end as share_of_matched
from counted
cross join previous_run
cross join current_run
