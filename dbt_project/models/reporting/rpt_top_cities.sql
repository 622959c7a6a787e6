-- A table, not a view: it scans every transaction, so it is computed once per build instead of
-- on every read (the report, rpt_insight_facts and analysts all read it).
{{ config(materialized='table') }}

select
    tx.city_name,
    {{ burn_summary() }},
    {{ burn_rank('tx.city_name') }}
from {{ ref('fct_coupon_transactions') }} as tx
group by tx.city_name
