-- Claims and burns per calendar month. burn_rate is the share of the month's claims burnt so
-- far; claims younger than the burn window have not matured, so recent months read low.
with claims as (
    select
        claim_month as month,
        count(*) as claims,
        sum(case when is_burnt then 1 else 0 end) as claims_burnt,
        bool_and(is_matured) as all_matured
    from {{ ref('fct_coupon_transactions') }}
    group by claim_month
),

burns as (
    select
        burn_month as month,
        count(*) as burns
    from {{ ref('fct_coupon_transactions') }}
    where burn_month is not null
    group by burn_month
),

-- every month with a claim or a burn, from the two monthly counts (not two more passes over
-- every transaction)
months as (
    select month from claims
    union
    select month from burns
)

select
    months.month,
    coalesce(claims.claims, 0) as claims,
    coalesce(burns.burns, 0) as burns,
    cast(claims.claims_burnt as double) / nullif(claims.claims, 0) as burn_rate,
    coalesce(claims.all_matured, false) as is_matured
from months
left join claims on months.month = claims.month
left join burns on months.month = burns.month
