-- A targeted customer is held out exactly when their own draw is below holdout_share (the
-- persistent holdout of campaign_audience); a customer of a segment without a campaign is
-- no_campaign, and a targeted one never is.
select
    audience.customer_id,
    audience.is_targeted,
    audience.campaign_group
from {{ ref('campaign_audience') }} as audience
cross join {{ ref('campaign_settings') }} as settings
where
    audience.campaign_group != case
        when not audience.is_targeted then 'no_campaign'
        when {{ campaign_draw_fraction('audience.campaign_draw') }} < settings.holdout_share
            then 'holdout'
        else 'treatment'
    end
