-- Coupon strategy per segment, from the segment's name (itself derived from its profile) with
-- a rationale that quotes the numbers behind it. Priority ranks where a coupon is expected to
-- move loyalty most per coupon spent:
--   1 Claim-and-forget / Low converters: they already claim, so a nudge to burn is cheap
--   1 New joiners: the second coupon decides whether a customer sticks
--   2 Lapsed customers: win-back is worth trying once, with a strong single offer
--   2 Loyal burners / Selective burners: protect, reward, do not over-discount
--   3 Frequent claimers / Average users / Never activated: keep in the regular programme
with profiles as (
    select
        *,
        regexp_replace(segment_name, ' [0-9]+$', '') as base_name
    from {{ ref('segment_profiles') }}
),

strategies as (
    select
        *,
        case base_name
            when 'Claim-and-forget' then 'Short-expiry reminder coupons at their favourite merchant'
            when 'Low converters' then 'Single high-value coupon with a burn reminder'
            when 'New joiners' then 'Welcome series: a second coupon within 30 days of the first'
            when 'Lapsed customers' then 'One strong win-back coupon, then stop if unused'
            when 'Loyal burners' then 'Loyalty tier: early access and points, not deeper discounts'
            when 'Selective burners' then 'More coupons from the merchants they already burn at'
            when 'Frequent claimers' then 'Cross-merchant coupons to widen the merchants they use'
            when 'Never activated' then 'Low-cost first-claim coupon through onboarding'
            else 'Regular programme; test one new merchant offer'
        end as coupon_strategy,
        case
            when base_name in ('Claim-and-forget', 'Low converters', 'New joiners') then 1
            when base_name in ('Lapsed customers', 'Loyal burners', 'Selective burners') then 2
            else 3
        end as priority
    from profiles
)

select
    segment_id,
    segment_name,
    customers,
    share,
    priority,
    coupon_strategy,
    {{ fmt_num('customers', 0) }} || ' customers (' || {{ fmt_pct('share') }} || ' of all). '
    || 'Burn rate ' || {{ fmt_pct('mean_burn_rate') }} || ' vs '
    || {{ fmt_pct('pop_mean_burn_rate') }} || ' overall; '
    || {{ fmt_num('mean_claims') }} || ' claims per customer vs '
    || {{ fmt_num('pop_mean_claims') }} || '; last active '
    || {{ fmt_num('mean_recency_days', 0) }} || ' days ago on average vs '
    || {{ fmt_num('pop_mean_recency_days', 0) }} || '; member for '
    || {{ fmt_num('mean_tenure_days', 0) }} || ' days vs '
    || {{ fmt_num('pop_mean_tenure_days', 0) }} || '.' as rationale
from strategies
