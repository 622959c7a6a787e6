-- One row per build that scored customers: run number, as-of date, input, the model version
-- that scored it and whether that version was trained in this build (and why).
-- Incremental: the rows of earlier builds are kept (the CLI carries them into each new
-- warehouse file; see couponseg/segment_runs.py).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='append_new_columns') }}

with previous_runs as (
    {% if is_incremental() -%}
        select
            run_id,
            model_version
        from {{ this }}
    {%- else -%}
        select
            cast(null as integer) as run_id,
            cast(null as integer) as model_version
        where false
    {%- endif %}
),

scoring_model as (
    select
        model_version,
        trained_as_of,
        training_reason
    from {{ ref('segment_model') }}
    where model_version = (select max(model_version) from {{ ref('segment_model') }})
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
    (select count(*) from {{ ref('customer_segments') }}) as customers
from {{ ref('run_context') }} as context
cross join trained
