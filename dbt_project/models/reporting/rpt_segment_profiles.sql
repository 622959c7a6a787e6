-- Long form for the segment heatmap: one row per segment and profiled feature.
{%- set features = segment_profile_features() %}
{%- for feature in features %}
    select
        segment_id,
        segment_name,
        '{{ feature }}' as feature,
        {{ loop.index }} as feature_order,
        mean_{{ feature }} as segment_mean,
        pop_mean_{{ feature }} as population_mean,
        z_{{ feature }} as z_score
    from {{ ref('segment_profiles') }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
