-- Retention and loyalty figures quoted in the dashboard's text.
with burn_days as (
    -- Burns per number of days to burn: the distribution the mean and median are taken of.
    select
        days_to_burn,
        sum(transactions) as burns
    from {{ ref('fct_transaction_counts') }}
    where is_burnt
    group by days_to_burn
),

ranked_days as (
    select
        days_to_burn,
        burns,
        sum(burns) over (
            order by days_to_burn rows between unbounded preceding and current row
        ) as burns_up_to,
        sum(burns) over () as all_burns
    from burn_days
),

-- The median as percentile_cont(0.5) takes it over every burn: the value at 0-based position
-- (n - 1) / 2 of the sorted days, interpolated between the values at the positions below
-- and above it (a position's value is the first number of days whose running count of burns
-- passes it). Read from the counts, so no burn is sorted.
days_to_burn as (
    select
        cast(sum(days_to_burn * burns) as double) / sum(burns) as mean_days,
        min(case when burns_up_to > floor((all_burns - 1) / 2.0) then days_to_burn end)
        as lower_middle_days,
        min(case when burns_up_to > ceil((all_burns - 1) / 2.0) then days_to_burn end)
        as upper_middle_days,
        max((all_burns - 1) / 2.0 - floor((all_burns - 1) / 2.0)) as middle_fraction
    from ranked_days
)

select
    count(*) as customers,
    sum(case when features.claims >= 2 then 1 else 0 end) as repeat_customers,
    cast(sum(case when features.claims >= 2 then 1 else 0 end) as double) / count(*)
    as repeat_share,
    sum(case when features.claims = 0 then 1 else 0 end) as customers_without_claims,
    avg(features.claims) as mean_claims,
    percentile_cont(0.5) within group (order by features.claims) as median_claims,
    max(days_to_burn.mean_days) as mean_days_to_burn,
    max(cast(
        days_to_burn.lower_middle_days
        + days_to_burn.middle_fraction
        * (days_to_burn.upper_middle_days - days_to_burn.lower_middle_days)
        as double
    )) as median_days_to_burn,
    avg(features.days_to_first_claim) as mean_days_to_first_claim
from {{ ref('customer_features') }} as features
cross join days_to_burn
