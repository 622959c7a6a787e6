-- One row: this run, the model version that scored it (when and why it was trained, what the
-- selection rule did and with which parameters) and the run it is compared with
-- (segment_runs.previous_run_id), if any.
with runs as (
    select
        *,
        row_number() over (order by run_id desc) as recency_rank
    from {{ ref('segment_runs') }}
),

transitions as (
    -- The totals of the "What changed since the last run" page (0 on a first run).
    select
        coalesce(sum(case when transition in ('stayed', 'moved') then customers end), 0)
            as customers_in_both_runs,
        coalesce(sum(case when transition = 'moved' then customers end), 0) as customers_moved,
        coalesce(sum(case when transition = 'new' then customers end), 0) as customers_new,
        coalesce(sum(case when transition = 'gone' then customers end), 0) as customers_gone
    from {{ ref('segment_transitions') }}
),

previous_run as (
    select previous.*
    from runs as previous
    inner join runs on previous.run_id = runs.previous_run_id
    where runs.recency_rank = 1
)

select
    runs.run_id,
    runs.as_of_date,
    runs.customers,
    runs.model_version,
    runs.trained_as_of,
    runs.model_trained,
    runs.training_reason,
    models.training_reason as model_training_reason,
    models.algorithm,
    models.params,
    models.n_segments,
    models.sample_rows,
    models.silhouette,
    models.davies_bouldin,
    models.calinski_harabasz,
    models.stability_ari,
    models.shuffled_silhouette,
    models.selection_outcome,
    models.rule_min_segments,
    models.rule_max_segments,
    models.rule_min_segment_share,
    models.rule_max_noise_share,
    models.rule_min_stability,
    models.rule_silhouette_tie,
    (
        select count(*) from {{ ref('segment_model_selection') }} as candidates
        where candidates.model_version = runs.model_version
    ) as candidates,
    (
        select count(*) from {{ ref('segment_model_selection') }} as candidates
        where candidates.model_version = runs.model_version and candidates.is_eligible
    ) as eligible_candidates,
    (
        select count(*) from {{ ref('segment_model_selection') }} as candidates
        where
            candidates.model_version = runs.model_version
            and candidates.is_eligible
            and candidates.stability_ari >= models.rule_min_stability
    ) as stable_eligible_candidates,
    (
        select max(model_version) from {{ ref('segment_model') }}
    ) as stored_versions,
    previous_run.run_id as previous_run_id,
    previous_run.as_of_date as previous_as_of_date,
    previous_run.model_version as previous_model_version,
    case when previous_run.run_id is not null then exists (
        select 1 from {{ ref('segment_history') }} as history
        where history.run_id = previous_run.run_id
    ) end as previous_run_labels_kept,
    cast({{ var('segment_history_keep_runs') }} as integer) as history_keep_runs,
    transitions.customers_in_both_runs,
    transitions.customers_moved,
    cast(transitions.customers_moved as double)
    / nullif(transitions.customers_in_both_runs, 0) as moved_share,
    transitions.customers_new,
    transitions.customers_gone,
    feed.checked_run_id as feed_checked_run_id,
    feed.previous_customers as feed_previous_customers,
    feed.other_join_date as feed_other_join_date,
    feed.missing_customers as feed_missing_customers
from runs
inner join {{ ref('segment_model') }} as models on runs.model_version = models.model_version
left join previous_run on true
cross join transitions
cross join {{ ref('segment_feed_check') }} as feed
where runs.recency_rank = 1
