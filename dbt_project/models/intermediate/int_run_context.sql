-- One row of run parameters. The as-of date is explicit (var as_of) or the latest date in the
-- data, never "today", so a rerun on the same input gives the same warehouse.
with data_dates as (
    select
        (select max(claim_date) from {{ ref('stg_transactions') }}) as last_claim_date,
        (select max(burn_date) from {{ ref('stg_transactions') }}) as last_burn_date,
        (select max(join_date) from {{ ref('stg_customers') }}) as last_join_date
)

select
    {% if var('as_of') -%}
        cast('{{ var("as_of") }}' as date)
    {%- else -%}
        greatest(
            coalesce(last_claim_date, last_join_date),
            coalesce(last_burn_date, last_claim_date, last_join_date),
            coalesce(last_join_date, last_claim_date)
        )
    {%- endif %} as as_of_date,
    {{ var('as_of') != '' }} as as_of_given,
    cast({{ var('burn_window_days') }} as integer) as burn_window_days,
    last_claim_date,
    last_burn_date,
    last_join_date
from data_dates
