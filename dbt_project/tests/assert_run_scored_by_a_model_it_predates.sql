-- This run was scored by one model version, trained on data up to the run's as-of date
-- (models_py.segmentation.store.model_in_use): a backfill is never scored by a model
-- trained on data it predates.
select
    runs.run_id,
    runs.as_of_date,
    runs.model_version,
    runs.trained_as_of
from {{ ref('segment_runs') }} as runs
where
    runs.run_id = (select max(run_id) from {{ ref('segment_runs') }})
    and (
        runs.trained_as_of > runs.as_of_date
        or (select count(distinct segments.model_version) from {{ ref('customer_segments') }} as segments) != 1
    )
