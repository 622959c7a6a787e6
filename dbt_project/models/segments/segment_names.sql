-- Names of each model version's segments, given once, on the build that trains the version,
-- from the profile of its training sample, so a segment keeps its name for as long as its
-- model scores (weekly transitions compare names). Rules: the first segment type of the
-- segment_playbooks seed (by rule_order) whose set thresholds all hold for the segment's
-- z-scores (segment mean against all sampled customers). A type used by several segments
-- gets a suffix (2, 3, ...) in segment-id order.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='append_new_columns') }}

with new_models as (
    select
        model_version,
        sample_customer_ids,
        sample_segment_ids
    from {{ ref('segment_model') }}
    {% if is_incremental() -%}
        where model_version not in (select model_version from {{ this }})
    {%- endif %}
),

sampled as (
    select
        model_version,
        {{ unnest_lists([('sample_customer_ids', 'customer_id'), ('sample_segment_ids', 'segment_id')]) }}
    from new_models
),

members as (
    select
        sampled.model_version,
        sampled.segment_id,
        features.claims,
        features.burn_rate,
        features.recency_days,
        features.tenure_days,
        case when features.has_transactions then 0.0 else 1.0 end as no_transaction_share
    from sampled
    inner join {{ ref('customer_features') }} as features
        on sampled.customer_id = features.customer_id
),

population as (
    select
        model_version,
        avg(claims) as mean_claims,
        stddev_pop(claims) as sd_claims,
        avg(burn_rate) as mean_burn_rate,
        stddev_pop(burn_rate) as sd_burn_rate,
        avg(recency_days) as mean_recency_days,
        stddev_pop(recency_days) as sd_recency_days,
        avg(tenure_days) as mean_tenure_days,
        stddev_pop(tenure_days) as sd_tenure_days
    from members
    group by model_version
),

profiled as (
    select
        members.model_version,
        members.segment_id,
        avg(members.no_transaction_share) as no_transaction_share,
        (avg(members.claims) - any_value(population.mean_claims))
        / nullif(any_value(population.sd_claims), 0) as z_claims,
        (avg(members.burn_rate) - any_value(population.mean_burn_rate))
        / nullif(any_value(population.sd_burn_rate), 0) as z_burn_rate,
        (avg(members.recency_days) - any_value(population.mean_recency_days))
        / nullif(any_value(population.sd_recency_days), 0) as z_recency_days,
        (avg(members.tenure_days) - any_value(population.mean_tenure_days))
        / nullif(any_value(population.sd_tenure_days), 0) as z_tenure_days
    from members
    inner join population on members.model_version = population.model_version
    group by members.model_version, members.segment_id
),

matched as (
    select
        profiled.model_version,
        profiled.segment_id,
        playbooks.segment_type,
        row_number() over (
            partition by profiled.model_version, profiled.segment_id
            order by playbooks.rule_order
        ) as rule_rank
    from profiled
    inner join {{ ref('segment_playbooks') }} as playbooks
        on (
            playbooks.min_no_transaction_share is null
            or profiled.no_transaction_share >= playbooks.min_no_transaction_share
        )
        and (
            playbooks.max_z_tenure_days is null
            or profiled.z_tenure_days <= playbooks.max_z_tenure_days
        )
        and (
            playbooks.min_z_recency_days is null
            or profiled.z_recency_days >= playbooks.min_z_recency_days
        )
        and (
            playbooks.min_z_burn_rate is null
            or profiled.z_burn_rate >= playbooks.min_z_burn_rate
        )
        and (
            playbooks.max_z_burn_rate is null
            or profiled.z_burn_rate <= playbooks.max_z_burn_rate
        )
        and (
            playbooks.min_z_claims is null
            or profiled.z_claims >= playbooks.min_z_claims
        )
),

typed as (
    select
        model_version,
        segment_id,
        segment_type
    from matched
    where rule_rank = 1
)

select
    model_version,
    segment_id,
    segment_type,
    segment_type
    || case
        when count(*) over (partition by model_version, segment_type) > 1
            then ' ' || cast(row_number() over (
                partition by model_version, segment_type order by segment_id
            ) as {{ text_type() }})
        else ''
    end as segment_name
from typed
