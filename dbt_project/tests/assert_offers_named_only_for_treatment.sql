-- Only treatment rows of campaign_audience name offers, and each names its segment's offers:
-- a CRM that sends every row with an offer never reaches the holdout (which would spoil the
-- readout) or a customer whose segment gets no campaign.
select
    audience.customer_id,
    audience.campaign_group,
    audience.recommended_offers
from {{ ref('campaign_audience') }} as audience
inner join {{ ref('segment_impact') }} as impact
    on audience.segment_id = impact.segment_id
where
    case
        when audience.campaign_group = 'treatment'
            then audience.recommended_offers is distinct from impact.recommended_offers
        else audience.recommended_offers is not null
    end
