-- Every segmented customer is in the audience exactly once (targeted or not), nobody else.
select
    coalesce(segments.customer_id, audience.customer_id) as customer_id
from {{ ref('customer_segments') }} as segments
full outer join {{ ref('campaign_audience') }} as audience
    on segments.customer_id = audience.customer_id
where segments.customer_id is null or audience.customer_id is null
