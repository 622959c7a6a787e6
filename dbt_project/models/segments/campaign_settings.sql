-- One row: the settings this run's campaign was drawn with (dbt vars in dbt_project.yml),
-- so the export's manifest and the dashboard quote what was used, not a second default.
select
    as_of_date,
    cast({{ text_literal(var("campaign_seed")) }} as {{ dbt.type_string() }}) as campaign_seed,
    cast({{ var('holdout_share') }} as double) as holdout_share,
    {{ var('campaign_max_priority') }} as campaign_max_priority,
    {{ var('offer_min_claims') }} as offer_min_claims,
    {{ var('offer_max_recommendations') }} as offer_max_recommendations,
    {{ var('offer_coupon_min_claims') }} as offer_coupon_min_claims,
    {{ var('impact_window_months') }} as impact_window_months
from {{ ref('run_context') }}
