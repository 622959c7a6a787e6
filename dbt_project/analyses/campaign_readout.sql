-- Campaign readout: did the treatment burn more than the holdout? Per targeted segment of an
-- exported audience (couponseg export), against the transactions of a LATER warehouse.
--   dbt compile -s campaign_readout --vars '{audience_path: /abs/path/campaign_audience.csv}'
-- then run target/compiled/couponseg/analyses/campaign_readout.sql on the later warehouse.
-- The campaign starts on the audience's as_of_date, or on the var readout_start (YYYY-MM-DD)
-- when the offers went out later (or for a backtest); only what happens after it counts:
--   claim level     burn rate of matured claims made after the start (claims at least
--                   burn_window_days old at the later as-of date, so both groups had the
--                   same chance to burn them);
--   customer level  share of the group's customers who burnt any coupon after the start
--                   (the unit that was randomised, so its interval is the honest one:
--                   claims of one customer are not independent).
-- Each comparison: treatment - holdout with a 95 % interval for a difference of two
-- proportions, Newcombe's hybrid score method (from the two Wilson intervals): unlike the
-- plain normal approximation it stays sound with small holdouts and rates of 0 or 1. An
-- interval that excludes 0 means the campaign changed behaviour. The group is read from the file, never recomputed.
-- A segment with a treatment group but no holdout is listed with readout_note saying so.
{%- set audience_path = var('audience_path', 'data/output/campaign_audience.csv') %}
{%- set readout_start = var('readout_start', '') %}

with audience as (
    select
        cast(customer_id as bigint) as customer_id,
        {{ unneutralise('cast(segment_name as ' ~ dbt.type_string() ~ ')') }} as segment_name,
        cast(campaign_group as {{ dbt.type_string() }}) as campaign_group,
        {% if readout_start -%}
            cast('{{ readout_start }}' as date)
        {%- else -%}
            cast(as_of_date as date)
        {%- endif %} as campaign_start
    from {{ read_exported_audience(audience_path) }}
    where campaign_group in ('treatment', 'holdout')
),

after_start as (
    select
        audience.segment_name,
        audience.campaign_group,
        audience.customer_id,
        tx.transaction_id,
        tx.is_matured,
        tx.is_burnt,
        tx.claim_date > audience.campaign_start as claimed_after_start,
        coalesce(tx.burn_date > audience.campaign_start, false) as burnt_after_start
    from audience
    left join {{ ref('fct_coupon_transactions') }} as tx
        on audience.customer_id = tx.customer_id
),

per_customer as (
    select
        segment_name,
        campaign_group,
        customer_id,
        sum(case when claimed_after_start and is_matured then 1 else 0 end) as matured_claims,
        sum(case when claimed_after_start and is_matured and is_burnt then 1 else 0 end)
        as matured_burns,
        max(case when burnt_after_start then 1 else 0 end) as burnt_any
    from after_start
    group by segment_name, campaign_group, customer_id
),

per_group as (
    select
        segment_name,
        campaign_group,
        count(*) as customers,
        sum(burnt_any) as burners,
        sum(matured_claims) as matured_claims,
        sum(matured_burns) as matured_burns
    from per_customer
    group by segment_name, campaign_group
),

rated as (
    select
        *,
        cast(matured_burns as double) / nullif(matured_claims, 0) as burn_rate,
        {{ wilson_bound('matured_burns', 'matured_claims', 'low') }} as burn_rate_low,
        {{ wilson_bound('matured_burns', 'matured_claims', 'high') }} as burn_rate_high,
        cast(burners as double) / customers as burner_share,
        {{ wilson_bound('burners', 'customers', 'low') }} as burner_share_low,
        {{ wilson_bound('burners', 'customers', 'high') }} as burner_share_high
    from per_group
)

-- Every segment of the file with a treatment group is listed: one whose holdout came out
-- empty (a small segment, or holdout_share 0) gets null differences and says why, rather
-- than vanishing from the readout.
select
    treated.segment_name,
    treated.customers as treatment_customers,
    coalesce(held.customers, 0) as holdout_customers,
    treated.matured_claims as treatment_matured_claims,
    coalesce(held.matured_claims, 0) as holdout_matured_claims,
    {{ newcombe_difference('burn_rate') }},
    {{ newcombe_difference('burner_share') }},
    case
        when held.customers is null
            then 'no holdout customers in this segment: the effect cannot be measured'
    end as readout_note
from rated as treated
left join rated as held
    on
        treated.segment_name = held.segment_name
        and held.campaign_group = 'holdout'
where treated.campaign_group = 'treatment'
order by treated.segment_name
