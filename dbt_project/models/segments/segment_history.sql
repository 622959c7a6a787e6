-- Every build's labels, one row per run and customer; this build's labels are appended.
-- Incremental: earlier runs are kept (the CLI carries them into each new warehouse file), all
-- of them, or with segment_history_keep_runs above 0 the latest runs only (prune_segment_history).
{{ config(
    materialized='incremental', incremental_strategy='append',
    on_schema_change='append_new_columns',
    post_hook="{{ prune_segment_history(this, ref('segment_runs')) }}"
) }}

with this_run as (
    select
        run_id,
        as_of_date
    from {{ ref('segment_runs') }}
    where run_id = (select max(run_id) from {{ ref('segment_runs') }})
)

select
    this_run.run_id,
    this_run.as_of_date,
    segments.model_version,
    segments.customer_id,
    segments.segment_id,
    segments.segment_name,
    -- The customer's join date as this run saw it: segment_feed_check tells the next build
    -- whether its input is the same feed (ids alone cannot).
    customers.join_date
from {{ ref('customer_segments') }} as segments
inner join {{ ref('customer_features') }} as customers
    on segments.customer_id = customers.customer_id
cross join this_run
{% if is_incremental() -%}
    where this_run.run_id > (select coalesce(max(run_id), 0) from {{ this }})
{%- endif %}
