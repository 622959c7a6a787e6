-- One row of the figures the dashboard's sentences quote (peaks, extremes, shares), so the
-- renderer only formats numbers and never derives them.
with cities as (
    select * from {{ ref('rpt_customers_by_city') }}
),

monthly as (
    select * from {{ ref('rpt_monthly_usage') }}
),

-- The best and worst month are of months with enough claims to say so (is_insight_month).
matured_months as (
    select * from monthly where is_insight_month
),

-- ... and the best and worst city of cities with enough matured claims (is_insight_city).
city_burns as (
    select * from {{ ref('rpt_top_cities') }} where is_insight_city
),

branches as (
    select * from {{ ref('rpt_top_branches') }}
),

frequency as (
    select * from {{ ref('rpt_usage_frequency') }}
),

-- The report groups customers by city name; two city ids with one name (a duplicate row of
-- the input, or two towns of the same name) are counted as one city, which is said.
shared_city_names as (
    select
        city_name,
        {{ dbt.listagg(dbt.cast('city_id', dbt.type_string()), "', '", 'order by city_id') }}
        as city_ids
    from {{ ref('stg_cities') }}
    group by city_name
    having count(*) > 1
)

select
    (select sum(share) from cities where city_rank <= 3) as top3_city_share,
    (select count(*) from cities) as city_count,
    {{ first_in_order('city_name', 'cities', 'city_rank desc') }} as smallest_city,
    {{ first_in_order('customers', 'cities', 'city_rank desc') }} as smallest_city_customers,
    (select sum(claims) from monthly) as total_claims,
    (select sum(burns) from monthly) as total_burns,
    {{ first_in_order('month', 'monthly', 'claims desc, month asc') }} as peak_claim_month,
    (select max(claims) from monthly) as peak_claims,
    {{ var('insight_min_month_claims') }} as insight_min_month_claims,
    {{ var('insight_min_city_claims') }} as insight_min_city_claims,
    {{ best_and_worst('matured_months', 'month', 'burn_rate', [
        'best_matured_month', 'best_matured_month_rate',
        'worst_matured_month', 'worst_matured_month_rate'
    ]) }},
    {{ best_and_worst('city_burns', 'city_name', 'matured_burn_rate', [
        'best_burn_rate_city', 'best_city_burn_rate',
        'worst_burn_rate_city', 'worst_city_burn_rate'
    ]) }},
    (
        select
            avg(
                cast(
                    case when matured_claims < {{ var('thin_cell_claims') }} then 1 else 0 end
                    as double
                )
            )
        from {{ ref('rpt_city_month_burn_rate') }}
    ) as thin_city_month_share,
    {{ var('thin_cell_claims') }} as thin_cell_claims,
    (
        select cast(max(burns) as double) / nullif(sum(burns), 0) from branches
    ) as top_branch_burn_share,
    (select count(*) from branches) as branch_count,
    (
        select count(*) from {{ ref('rpt_top_merchants') }} where not has_branch
    ) as merchants_without_branch,
    (select count(*) from {{ ref('rpt_top_merchants') }}) as merchant_count,
    {{ first_in_order('claims_per_customer', 'frequency', 'customers desc, claims_per_customer asc') }}
    as most_common_claim_count,
    (select count(*) from shared_city_names) as shared_city_names,
    (
        -- nullif: Spark's listagg of no rows is '', DuckDB's null
        select nullif(
            {{ dbt.listagg("city_name || ' (ids ' || city_ids || ')'", "'; '", 'order by city_name') }},
            ''
        )
        from shared_city_names
    ) as shared_city_name_ids
