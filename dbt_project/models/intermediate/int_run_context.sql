-- One row of run parameters. The as-of date is explicit (var as_of) or the latest date of the
-- kept rows (which are all within the plausible date range), never "today", so a rerun on the
-- same input gives the same warehouse. An as-of date is a point in time: the last dates here,
-- like the marts, count only what had happened by then. A table, not a view: every model
-- that cross-joins it would otherwise rescan the transactions.
{{ config(materialized='table') }}

with data_dates as (
    select
        (select max(claim_date) from {{ ref('stg_transactions') }}) as last_claim_date,
        (select max(burn_date) from {{ ref('stg_transactions') }}) as last_burn_date,
        (select max(join_date) from {{ ref('stg_customers') }}) as last_join_date
),

as_of as (
    select
        {% if var('as_of') -%}
            cast('{{ var("as_of") }}' as date)
        {%- else -%}
            greatest(
                coalesce(last_claim_date, last_join_date),
                coalesce(last_burn_date, last_claim_date, last_join_date),
                coalesce(last_join_date, last_claim_date)
            )
        {%- endif %} as as_of_date
    from data_dates
),

context as (
    select
        as_of.as_of_date,
        {{ var('as_of') != '' }} as as_of_given,
        cast({{ var('burn_window_days') }} as integer) as burn_window_days,
        {% if var('as_of') -%}
            (
                select max(claim_date) from {{ ref('stg_transactions') }}
                where claim_date <= as_of.as_of_date
            ) as last_claim_date,
            (
                select max(burn_date) from {{ ref('stg_transactions') }}
                where burn_date <= as_of.as_of_date
            ) as last_burn_date,
            (
                select max(join_date) from {{ ref('stg_customers') }}
                where join_date <= as_of.as_of_date
            ) as last_join_date,
        {%- else -%}
            data_dates.last_claim_date,
            data_dates.last_burn_date,
            data_dates.last_join_date,
        {%- endif %}
        date_range.earliest_plausible_date,
        date_range.latest_plausible_date
    from as_of
    cross join data_dates
    cross join {{ ref('plausible_date_range') }} as date_range
),

-- The window segment_impact measures a segment's claim pace over: the last
-- impact_window_months months of the claim feed, ending on its last claim (or the as-of date,
-- if earlier), since a feed that stops before the as-of date would read as a collapse.
-- Defined here once: customer_features counts each customer's claims in it.
impact_window as (
    select
        context.*,
        least(
            context.as_of_date, coalesce(context.last_claim_date, context.as_of_date)
        ) as impact_window_end
    from context
)

select
    as_of_date,
    as_of_given,
    burn_window_days,
    last_claim_date,
    last_burn_date,
    last_join_date,
    earliest_plausible_date,
    latest_plausible_date,
    cast(
        {{ dbt.dateadd('month', -whole_var('impact_window_months'), 'impact_window_end') }} as date
    ) as impact_window_start,
    impact_window_end
from impact_window
