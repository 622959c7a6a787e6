-- One row per build that scored customers: run number, as-of date, input, the model version
-- that scored it (the one customer_segments used: the latest trained on data up to the as-of
-- date) and whether that version was trained in this build (and why), and the run it is
-- compared with: the latest earlier run as of the same or an earlier date, so a backfill
-- (--as-of an earlier date) is compared with what came before it in time, and the weekly
-- run after a backfill with the weekly run before it.
-- Incremental: the rows of earlier builds are kept (the CLI carries them into each new
-- warehouse file; see couponseg/segment_runs.py).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='append_new_columns') }}

with previous_runs as (
    {% if is_incremental() -%}
        select
            run_id,
            as_of_date,
            model_version
        from {{ this }}
    {%- else -%}
        select
            cast(null as integer) as run_id,
            cast(null as date) as as_of_date,
            cast(null as integer) as model_version
        where false
    {%- endif %}
),

previous_in_time as (
    select
        previous_runs.run_id,
        row_number() over (
            order by previous_runs.as_of_date desc, previous_runs.run_id desc
        ) as recency_rank
    from previous_runs
    cross join {{ ref('run_context') }} as context
    where previous_runs.as_of_date <= context.as_of_date
),

scoring_model as (
    select
        model_version,
        trained_as_of,
        training_reason
    from {{ ref('segment_model') }}
    where model_version = (select max(model_version) from {{ ref('customer_segments') }})
),

trained as (
    select
        scoring_model.*,
        scoring_model.model_version not in (
            select previous_runs.model_version from previous_runs
        ) as model_trained
    from scoring_model
)

select
    cast(coalesce((select max(run_id) from previous_runs), 0) + 1 as integer) as run_id,
    context.as_of_date,
    context.input_fingerprint,
    trained.model_version,
    trained.trained_as_of,
    trained.model_trained,
    case when trained.model_trained then trained.training_reason end as training_reason,
    (select count(*) from {{ ref('customer_segments') }}) as customers,
    previous_in_time.run_id as previous_run_id,
    -- last, as columns added to an incremental table are appended
    (
        select cast(coalesce(sum(counts.transactions), 0) as bigint)
        from {{ ref('fct_transaction_counts') }} as counts
    ) as claims
from {{ ref('run_context') }} as context
cross join trained
left join previous_in_time on previous_in_time.recency_rank = 1
