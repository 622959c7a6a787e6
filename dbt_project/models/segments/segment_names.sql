-- Names of each model version's segments, given once, on the build that trains the version,
-- from the profile of its training sample, so a segment keeps its name for as long as its
-- model scores (weekly transitions compare names). Rules: the first segment type of the
-- segment_playbooks seed (by rule_order) whose set thresholds all hold for the segment's
-- z-scores (segment mean against all sampled customers). A type used by several segments
-- gets a suffix (2, 3, ...) in segment-id order.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='append_new_columns') }}
{#- Features compared as z-scores; each playbook threshold column min_<x> / max_<x> is a lower
    / upper bound on the segment's <x> (null: no bound). -#}
{%- set z_features = ['claims', 'burn_rate', 'recency_days', 'tenure_days'] %}
{%- set playbook_bounds = [
    'min_no_transaction_share', 'max_z_tenure_days', 'min_z_recency_days',
    'min_z_burn_rate', 'max_z_burn_rate', 'min_z_claims'
] %}

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
        {%- for feature in z_features %}
        features.{{ feature }},
        {%- endfor %}
        case when features.has_transactions then 0.0 else 1.0 end as no_transaction_share
    from sampled
    inner join {{ ref('customer_features') }} as features
        on sampled.customer_id = features.customer_id
),

population as (
    select
        model_version,
        {%- for feature in z_features %}
        avg({{ feature }}) as mean_{{ feature }},
        stddev_pop({{ feature }}) as sd_{{ feature }}{{ ',' if not loop.last }}
        {%- endfor %}
    from members
    group by model_version
),

profiled as (
    select
        members.model_version,
        members.segment_id,
        avg(members.no_transaction_share) as no_transaction_share,
        {%- for feature in z_features %}
        (avg(members.{{ feature }}) - any_value(population.mean_{{ feature }}))
        / nullif(any_value(population.sd_{{ feature }}), 0) as z_{{ feature }}
        {{- ',' if not loop.last }}
        {%- endfor %}
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
        on
        {%- for bound in playbook_bounds %}
            {{ 'and ' if not loop.first }}(
                playbooks.{{ bound }} is null
                or profiled.{{ bound[4:] }} {{ '>=' if bound.startswith('min_') else '<=' }} playbooks.{{ bound }}
            )
        {%- endfor %}
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
        when segment_rank > 1 then ' ' || cast(segment_rank as {{ text_type() }})
        else ''
    end as segment_name
from (
    -- The first segment of a type (lowest id) keeps the type's plain name, so a weekly
    -- export by name ('New joiners') still finds it after a retrain splits the type.
    select
        model_version,
        segment_id,
        segment_type,
        row_number() over (
            partition by model_version, segment_type order by segment_id
        ) as segment_rank
    from typed
) as ranked
