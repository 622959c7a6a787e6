-- Expected impact per segment: how many claims a month it makes, how many of its matured
-- claims it burns, and how many more burns a month it would bring at a stated target rate.
-- Target rule: a segment with a significant-lift recommendation aims at its best offer's
-- rate, taken at the lower end of the 95 % interval (the rate the data supports); otherwise
-- at the platform's matured burn rate; a segment already at or above that gains nothing, and
-- so does one whose rate rests on fewer than offer_min_claims matured claims (the threshold
-- an offer's rate needs too): one claim burnt or not is no rate to set a target against.
-- Claims per month are those of the last impact_window_months months of the claim feed,
-- ending on the last claim (or the as-of date, if earlier): the feed may stop before the
-- as-of date, and a window ending on a day without claims would read as a collapse.
-- The gain assumes the claim pace holds and the campaign changes only the burn rate, for
-- the whole segment: the segment's potential. The campaign's own expected gain counts its
-- treatment group only (reporting.rpt_campaign_plan), since the holdout keeps today's rate.
-- Counted per customer, then summed per segment: customer_features already holds each
-- customer's matured claims, burns and claims in the window, so the segment totals cost a
-- join of customers, not another join of every claim (4.6 s at 50M transactions).
with window_bounds as (
    select
        impact_window_start as window_start,
        impact_window_end as window_end
    from {{ ref('int_run_context') }}
),

members as (
    select
        segments.segment_id,
        features.recent_claims,
        features.matured_claims,
        features.matured_burns
    from {{ ref('customer_segments') }} as segments
    inner join {{ ref('customer_features') }} as features
        on segments.customer_id = features.customer_id
),

-- Every customer is in exactly one segment (tested), so the members' claims are all claims.
platform as (
    select
        cast(sum(matured_burns) as double)
        / nullif(sum(matured_claims), 0) as platform_burn_rate
    from members
),

per_segment as (
    select
        segment_id,
        cast(sum(recent_claims) as bigint) as window_claims,
        cast(sum(matured_claims) as bigint) as matured_claims,
        cast(sum(matured_burns) as bigint) as matured_burns
    from members
    group by segment_id
),

offers as (
    select
        segment_id,
        max(recommendation_basis) as recommendation_basis,
        {{ dbt.listagg('offer_name', "'; '", 'order by recommendation_rank') }}
        as recommended_offers,
        max(case when recommendation_rank = 1 then offer_name end) as best_offer_name,
        max(
            case
                when recommendation_rank = 1 and recommendation_basis = 'significant_lift'
                    then burn_rate_low
            end
        ) as best_offer_burn_rate_low
    from {{ ref('segment_offer_affinity') }}
    where is_recommended
    group by segment_id
),

measured as (
    select
        profiles.segment_id,
        profiles.segment_name,
        profiles.customers,
        window_bounds.window_start,
        window_bounds.window_end,
        coalesce(per_segment.window_claims, 0) as window_claims,
        cast(coalesce(per_segment.window_claims, 0) as double)
        / {{ var('impact_window_months') }} as claims_per_month,
        coalesce(per_segment.matured_claims, 0) as matured_claims,
        cast(per_segment.matured_burns as double)
        / nullif(per_segment.matured_claims, 0) as matured_burn_rate,
        platform.platform_burn_rate,
        coalesce(offers.recommendation_basis, 'none') as recommendation_basis,
        offers.recommended_offers,
        offers.best_offer_name,
        offers.best_offer_burn_rate_low
    from {{ ref('segment_profiles') }} as profiles
    cross join window_bounds
    cross join platform
    left join per_segment on profiles.segment_id = per_segment.segment_id
    left join offers on profiles.segment_id = offers.segment_id
),

targeted as (
    select
        *,
        case
            when matured_burn_rate is null then 'no_matured_claims'
            when matured_claims < {{ var('offer_min_claims') }} then 'too_few_matured_claims'
            when best_offer_burn_rate_low is not null then 'best_recommended_offer'
            when platform_burn_rate > matured_burn_rate then 'platform_rate'
            else 'already_at_platform_rate'
        end as target_basis,
        case
            when matured_burn_rate is null then null
            when matured_claims < {{ var('offer_min_claims') }} then matured_burn_rate
            when best_offer_burn_rate_low is not null then best_offer_burn_rate_low
            else greatest(platform_burn_rate, matured_burn_rate)
        end as target_burn_rate
    from measured
),

gained as (
    select
        *,
        claims_per_month * matured_burn_rate as burns_per_month,
        claims_per_month * target_burn_rate as burns_per_month_at_target,
        claims_per_month * (target_burn_rate - matured_burn_rate) as burns_per_month_gained
    from targeted
)

select
    segment_id,
    segment_name,
    customers,
    window_start,
    window_end,
    window_claims,
    claims_per_month,
    matured_claims,
    matured_burn_rate,
    platform_burn_rate,
    recommendation_basis,
    recommended_offers,
    case recommendation_basis
        when 'significant_lift' then 'Offers whose burn rate clears the segment''s own (95 % interval, at least '
            || '{{ var("offer_min_claims") }} matured claims)'
        when 'most_claimed_fallback' then 'No offer clears the segment''s own burn rate (95 % interval, at least '
            || '{{ var("offer_min_claims") }} matured claims): its most-claimed merchants instead'
        else 'No claims: nothing to recommend'
    end as recommendation_label,
    best_offer_name,
    target_basis,
    target_burn_rate,
    burns_per_month,
    burns_per_month_at_target,
    burns_per_month_gained,
    case
        when target_basis = 'no_matured_claims' then 'No matured claims yet: no burn rate to improve.'
        when target_basis = 'too_few_matured_claims'
            then 'Only ' || cast(matured_claims as {{ dbt.type_string() }}) || ' matured claim'
            || case when matured_claims = 1 then '' else 's' end
            || ': too few to measure a burn rate (at least {{ var("offer_min_claims") }} needed), '
            || 'so no target and no gain assumed.'
        when window_claims = 0 and target_basis != 'already_at_platform_rate'
            then 'No claims in the ' || '{{ var("impact_window_months") }} months to '
            || cast(window_end as {{ dbt.type_string() }})
            || ': a better burn rate gains nothing until the segment claims again (a win-back '
            || 'comes first).'
        when target_basis = 'already_at_platform_rate'
            then 'Already at or above the platform''s matured burn rate ('
            || {{ fmt_pct('matured_burn_rate') }} || ' vs ' || {{ fmt_pct('platform_burn_rate') }}
            || ') and no offer shows a significant lift: no gain assumed.'
        else
            'If its ' || {{ fmt_num('claims_per_month') }} || ' claims a month (the '
            || '{{ var("impact_window_months") }} months to '
            || cast(window_end as {{ dbt.type_string() }}) || ') burnt at '
            || case target_basis
                when 'best_recommended_offer'
                    then 'the rate of its best recommended offer, ' || best_offer_name
                    || ', at the low end of its 95 % interval ('
                else 'the platform''s matured burn rate ('
            end
            || {{ fmt_pct('target_burn_rate') }} || ') instead of its own '
            || {{ fmt_pct('matured_burn_rate') }} || ': ' || {{ fmt_num('burns_per_month_gained') }}
            || ' more burns a month. Assumes the claim pace holds and the campaign changes only '
            || 'the burn rate, for the whole segment.'
    end as impact_assumption
from gained
