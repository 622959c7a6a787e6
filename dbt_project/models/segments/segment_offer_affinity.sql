-- Which merchants (and repeated coupon names) each segment burns best, with the numbers to
-- judge it. One row per segment x branch-owning merchant (every pair, zero claims included),
-- plus one per segment x coupon name for names claimed at least offer_coupon_min_claims
-- times in all. Rates count matured claims only (at least burn_window_days old at the as-of
-- date): younger claims have not had their chance to burn.
--
-- Recommendation rule, per segment:
--   1. An offer qualifies when it rests on at least offer_min_claims matured claims and the
--      lower end of its 95 % Wilson interval lies above the segment's own matured burn rate
--      (the lift's interval clears 1). Qualifying offers are ranked by that lower end (the
--      rate we can be confident of), then claims; the first offer_max_recommendations are
--      recommended, basis 'significant_lift'.
--   2. When none qualifies (expected on random data) the segment's most-claimed merchants are
--      recommended instead, basis 'most_claimed_fallback': where customers already claim, not
--      a proven lift.
--   3. A segment with no claims gets no recommendation.
-- Merchants without a branch never appear: they cannot receive burns.
-- With m offers tested per segment, about m x 2.5 % clear the baseline by chance alone: the
-- holdout readout (analyses/campaign_readout.sql) is what proves a lift.
with segments as (
    -- The segments of this run, as segment_profiles lists them (one row per segment with
    -- customers), read from the labels themselves so this model need not wait for the
    -- profiles: it starts as soon as customers are scored, beside them.
    select
        segment_id,
        any_value(segment_name) as segment_name
    from {{ ref('customer_segments') }}
    group by segment_id
),

merchants as (
    select
        merchant_id,
        merchant_name
    from {{ ref('dim_merchants') }}
    where has_branch
),

segment_claims as {{ not_materialized() }}(
    select
        segment_id,
        merchant_id,
        coupon_name,
        is_burnt,
        is_matured
    from {{ ref('segment_claims') }}
),

repeated_coupons as (
    {%- if var('offer_coupon_min_claims') | int > 0 %}
        -- every coupon name is sorted once (repeated_values): about 3 s at 50M transactions
        -- whose names are all unique; offer_coupon_min_claims: 0 turns coupon-level rows off
        {{ repeated_values(ref('int_transactions_as_of'), ['merchant_id', 'coupon_name'],
            var('offer_coupon_min_claims') | int) }}
    {%- else %}
        select
            cast(null as bigint) as merchant_id,
            cast(null as {{ dbt.type_string() }}) as coupon_name
        where 1 = 0
    {%- endif %}
),

merchant_offers as (
    select
        segments.segment_id,
        segments.segment_name,
        'merchant' as offer_level,
        merchants.merchant_id,
        merchants.merchant_name,
        cast(null as {{ dbt.type_string() }}) as coupon_name
    from segments
    cross join merchants
),

coupon_offers as (
    select
        segments.segment_id,
        segments.segment_name,
        'coupon' as offer_level,
        merchants.merchant_id,
        merchants.merchant_name,
        repeated_coupons.coupon_name
    from segments
    cross join repeated_coupons
    inner join merchants on repeated_coupons.merchant_id = merchants.merchant_id
),

offers as (
    select * from merchant_offers
    union all
    select * from coupon_offers
),

merchant_counts as (
    select
        segment_id,
        merchant_id,
        cast(null as {{ dbt.type_string() }}) as coupon_name,
        {{ offer_counts('segment_claims') }}
    from segment_claims
    group by segment_id, merchant_id
),

coupon_counts as (
    select
        segment_claims.segment_id,
        segment_claims.merchant_id,
        segment_claims.coupon_name,
        {{ offer_counts('segment_claims') }}
    from segment_claims
    inner join repeated_coupons
        on
            segment_claims.merchant_id = repeated_coupons.merchant_id
            and segment_claims.coupon_name = repeated_coupons.coupon_name
    group by segment_claims.segment_id, segment_claims.merchant_id, segment_claims.coupon_name
),

offer_counts as (
    select * from merchant_counts
    union all
    select * from coupon_counts
),

counted as (
    select
        offers.*,
        offer_counts.claims,
        offer_counts.burns,
        offer_counts.matured_claims,
        offer_counts.matured_burns
    from offers
    left join offer_counts
        on
            offers.segment_id = offer_counts.segment_id
            and offers.merchant_id = offer_counts.merchant_id
            and coalesce(offers.coupon_name, '') = coalesce(offer_counts.coupon_name, '')
),

-- The segment's own rate, from the merchant counts (every claim is at one merchant's branch)
-- rather than another pass over every claim.
baseline as (
    select
        segment_id,
        sum(matured_claims) as segment_matured_claims,
        sum(matured_burns) as segment_matured_burns
    from merchant_counts
    group by segment_id
),

measured as (
    select
        counted.segment_id,
        counted.segment_name,
        counted.offer_level,
        counted.merchant_id,
        counted.merchant_name,
        counted.coupon_name,
        coalesce(counted.coupon_name, counted.merchant_name) as offer_name,
        coalesce(counted.claims, 0) as claims,
        coalesce(counted.burns, 0) as burns,
        coalesce(counted.matured_claims, 0) as matured_claims,
        coalesce(counted.matured_burns, 0) as matured_burns,
        cast(counted.matured_burns as double)
        / nullif(counted.matured_claims, 0) as matured_burn_rate,
        {{ wilson_bound('counted.matured_burns', 'counted.matured_claims', 'low') }}
        as burn_rate_low,
        {{ wilson_bound('counted.matured_burns', 'counted.matured_claims', 'high') }}
        as burn_rate_high,
        coalesce(baseline.segment_matured_claims, 0) as segment_matured_claims,
        cast(baseline.segment_matured_burns as double)
        / nullif(baseline.segment_matured_claims, 0) as segment_burn_rate
    from counted
    left join baseline on counted.segment_id = baseline.segment_id
),

judged as (
    select
        *,
        matured_burn_rate / nullif(segment_burn_rate, 0) as lift,
        burn_rate_low / nullif(segment_burn_rate, 0) as lift_low,
        burn_rate_high / nullif(segment_burn_rate, 0) as lift_high,
        matured_claims >= {{ var('offer_min_claims') }} as has_enough_claims,
        coalesce(burn_rate_low > segment_burn_rate, false) as clears_baseline
    from measured
),

ranked as (
    select
        *,
        has_enough_claims and clears_baseline as is_significant,
        sum(case when has_enough_claims and clears_baseline then 1 else 0 end)
            over (partition by segment_id)
        as segment_significant_offers,
        row_number() over (
            partition by segment_id
            order by
                case when has_enough_claims and clears_baseline then 0 else 1 end asc,
                burn_rate_low desc, matured_claims desc, offer_level desc, offer_name asc
        ) as lift_rank,
        row_number() over (
            partition by segment_id
            order by
                case when offer_level = 'merchant' and claims > 0 then 0 else 1 end asc,
                claims desc, merchant_name asc
        ) as claims_rank
    from judged
),

picked as (
    select
        *,
        case
            when segment_significant_offers > 0 and is_significant
                and lift_rank <= {{ var('offer_max_recommendations') }}
                then 'significant_lift'
            when segment_significant_offers = 0 and offer_level = 'merchant' and claims > 0
                and claims_rank <= {{ var('offer_max_recommendations') }}
                then 'most_claimed_fallback'
        end as recommendation_basis
    from ranked
)

select
    segment_id,
    segment_name,
    offer_level,
    {{ dbt.concat([
        'offer_level', dbt.string_literal(':'), 'cast(merchant_id as ' ~ dbt.type_string() ~ ')',
        dbt.string_literal(':'), "coalesce(coupon_name, '')"
    ]) }} as offer_key,
    offer_name,
    merchant_id,
    merchant_name,
    coupon_name,
    claims,
    burns,
    matured_claims,
    matured_burns,
    matured_burn_rate,
    burn_rate_low,
    burn_rate_high,
    segment_matured_claims,
    segment_burn_rate,
    lift,
    lift_low,
    lift_high,
    has_enough_claims,
    clears_baseline,
    recommendation_basis is not null as is_recommended,
    recommendation_basis,
    case
        when recommendation_basis = 'significant_lift' then lift_rank
        when recommendation_basis = 'most_claimed_fallback' then claims_rank
    end as recommendation_rank
from picked
