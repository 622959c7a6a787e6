-- Claims and burns per calendar month. burn_rate is the share of the month's claims burnt so
-- far; claims younger than the burn window have not matured, so recent months read low.
with claims as (
    select
        claim_month as month,
        cast(sum(transactions) as bigint) as claims,
        sum(case when is_burnt then transactions else 0 end) as claims_burnt,
        bool_and(is_matured) as all_matured
    from {{ ref('fct_transaction_counts') }}
    group by claim_month
),

burns as (
    select
        burn_month as month,
        cast(sum(transactions) as bigint) as burns
    from {{ ref('fct_transaction_counts') }}
    where burn_month is not null
    group by burn_month
),

-- every calendar month from the first to the last with a claim or a burn, a month with
-- neither included at 0 (averages per month and the month axis count it), from the two
-- monthly counts, not two more passes over every transaction
bounds as (
    select
        min(month) as first_month,
        max(month) as last_month
    from (
        select month from claims
        union all
        select month from burns
    ) as known_months
),

numbers as (
    select cast(generated_number - 1 as integer) as n
    from ({{ dbt.generate_series(1200) }}) as series
),

months as (
    select cast({{ dbt.dateadd('month', 'numbers.n', 'bounds.first_month') }} as date) as month
    from bounds
    cross join numbers
    where numbers.n <= {{ dbt.datediff('bounds.first_month', 'bounds.last_month', 'month') }}
)

select
    months.month,
    coalesce(claims.claims, 0) as claims,
    coalesce(burns.burns, 0) as burns,
    cast(claims.claims_burnt as double) / nullif(claims.claims, 0) as burn_rate,
    coalesce(claims.all_matured, false) as is_matured,
    -- the months the report's best and worst month are chosen from (rpt_insight_facts): a
    -- month of 3 claims can read 67 % by chance (var insight_min_month_claims)
    coalesce(
        claims.all_matured and claims.claims_burnt is not null
        and claims.claims >= {{ var('insight_min_month_claims') }},
        false
    ) as is_insight_month
from months
left join claims on months.month = claims.month
left join burns on months.month = burns.month
