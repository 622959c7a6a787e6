-- One row per day from the first of January of the earliest join or claim to the day after
-- the as-of date: the calendar MetricFlow joins to for metric_time and cumulative metrics.
-- Bounds come from the data (never "today"), so reruns give the same spine. The days are
-- numbered by dbt's portable generate_series (up to 2^16 days, about 179 years), not by
-- dbt.date_spine, which queries the warehouse while compiling.
with bounds as (
    select
        cast({{ dbt.date_trunc('year', 'min(first_date)') }} as date) as first_day,
        (select max(as_of_date) from {{ ref('int_run_context') }}) as as_of_date
    from (
        select min(join_date) as first_date from {{ ref('dim_customers') }}
        union all
        select min(claim_date) as first_date from {{ ref('fct_coupon_transactions') }}
    ) as firsts
),

day_numbers as (
    {{ dbt.generate_series(65536) }}
)

select cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'bounds.first_day') }} as date)
as date_day
from bounds
cross join day_numbers
where
    {{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'bounds.first_day') }}
    <= {{ dbt.dateadd('day', 1, 'bounds.as_of_date') }}
