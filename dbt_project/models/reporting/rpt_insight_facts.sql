-- One row of the figures the dashboard's sentences quote (peaks, extremes, shares), so the
-- renderer only formats numbers and never derives them.
with cities as (
    select * from {{ ref('rpt_customers_by_city') }}
),

monthly as (
    select * from {{ ref('rpt_monthly_usage') }}
),

matured_months as (
    select * from monthly where is_matured and burn_rate is not null
),

city_burns as (
    select * from {{ ref('rpt_top_cities') }} where matured_burn_rate is not null
),

branches as (
    select * from {{ ref('rpt_top_branches') }}
),

frequency as (
    select * from {{ ref('rpt_usage_frequency') }}
)

select
    (select sum(share) from cities where city_rank <= 3) as top3_city_share,
    (select count(*) from cities) as city_count,
    (select city_name from cities order by city_rank desc limit 1) as smallest_city,
    (select customers from cities order by city_rank desc limit 1) as smallest_city_customers,
    (select sum(claims) from monthly) as total_claims,
    (select sum(burns) from monthly) as total_burns,
    (select month from monthly order by claims desc, month asc limit 1) as peak_claim_month,
    (select max(claims) from monthly) as peak_claims,
    (
        select month from matured_months order by burn_rate desc, month asc limit 1
    ) as best_matured_month,
    (select max(burn_rate) from matured_months) as best_matured_month_rate,
    (
        select month from matured_months order by burn_rate asc, month asc limit 1
    ) as worst_matured_month,
    (select min(burn_rate) from matured_months) as worst_matured_month_rate,
    (
        select city_name from city_burns order by matured_burn_rate desc, city_name asc limit 1
    ) as best_burn_rate_city,
    (select max(matured_burn_rate) from city_burns) as best_city_burn_rate,
    (
        select city_name from city_burns order by matured_burn_rate asc, city_name asc limit 1
    ) as worst_burn_rate_city,
    (select min(matured_burn_rate) from city_burns) as worst_city_burn_rate,
    (
        select avg(cast(case when matured_claims < 5 then 1 else 0 end as double))
        from {{ ref('rpt_city_month_burn_rate') }}
    ) as thin_city_month_share,
    (
        select cast(max(burns) as double) / nullif(sum(burns), 0) from branches
    ) as top_branch_burn_share,
    (select count(*) from branches) as branch_count,
    (
        select count(*) from {{ ref('rpt_top_merchants') }} where not has_branch
    ) as merchants_without_branch,
    (select count(*) from {{ ref('rpt_top_merchants') }}) as merchant_count,
    (
        select claims_per_customer from frequency
        order by customers desc, claims_per_customer asc limit 1
    ) as most_common_claim_count
