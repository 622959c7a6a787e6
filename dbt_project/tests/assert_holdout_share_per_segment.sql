-- Each targeted segment holds out round(holdout_share x its customers), exactly; a segment
-- without a campaign has only no_campaign customers, a targeted one none.
with groups as (
    select
        segment_id,
        is_targeted,
        count(*) as customers,
        sum(case when campaign_group = 'holdout' then 1 else 0 end) as holdout,
        sum(case when campaign_group = 'no_campaign' then 1 else 0 end) as no_campaign
    from {{ ref('campaign_audience') }}
    group by segment_id, is_targeted
)

select groups.*
from groups
cross join {{ ref('campaign_settings') }} as settings
where
    (groups.is_targeted and (
        groups.no_campaign > 0
        or groups.holdout != floor(groups.customers * settings.holdout_share + 0.5)
    ))
    or (not groups.is_targeted and groups.no_campaign != groups.customers)
