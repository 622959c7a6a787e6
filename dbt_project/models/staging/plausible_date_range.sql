{#- The window of plausible dates for this feed (README, "Bad input"), one row. The lower
    bound is a var; the upper bound comes from the data: the day by which a share
    (plausible_feed_share, 99 %) of the parseable claim dates on or after the lower bound had
    happened (rounded down to whole claims, at least one), plus plausible_days_after_feed
    days. A handful of claims dated 2099 or 9999 cannot move it, and it never depends on today's date, so a rerun gives the same window.
    Claim texts are counted before they are parsed, so a 50M-row text feed parses only its
    few thousand distinct date spellings here. Beside the window, the order of day and month
    in each text date column (date_order_evidence), from its distinct spellings too. -#}
{%- set family = raw_column_types('raw_transactions').get('transaction_date', 'text') -%}
{%- if family in ('integer', 'decimal', 'float', 'float4', 'date', 'timestamp') -%}
    {%- set claim_value = 'transaction_date' -%}
{%- else -%}
    {%- set claim_value = clean_text('cast(transaction_date as ' ~ text_type() ~ ')') -%}
{%- endif -%}
{%- set earliest = "cast('" ~ var('earliest_plausible_date') ~ "' as date)" -%}
{%- set join_family = raw_column_types('raw_customers').get('join_date', 'text') -%}
{%- set burn_family = raw_column_types('raw_transactions').get('burn_date', 'text') -%}

with spellings as (
    select
        transaction_date,
        count(*) as claims
    from {{ ref('raw_transactions') }}
    group by transaction_date
),

claim_days as (
    select
        {{ parse_date(claim_value, family) }} as claim_date,
        claims
    from spellings
),

plausible_claims as (
    select
        claim_date,
        sum(claims) as claims
    from claim_days
    -- finite, not too early, and not 9999-12-31, the usual stand-in for "no date" (however
    -- many claims carry it, it never sets the window: it is always implausible)
    where claim_date between {{ earliest }} and cast('9999-12-30' as date)
    group by claim_date
),

cumulative as (
    select
        claim_date,
        sum(claims) over (order by claim_date) as claims_so_far,
        sum(claims) over () as all_claims
    from plausible_claims
),

-- The share is rounded down to whole claims, and at least one: in a feed of fewer than 100
-- claims 99 % of them is every claim but one, so a single claim dated 2099 cannot set the
-- window there (rounded up, or unrounded, the last claim would).
reference as (
    select min(claim_date) as feed_reference_date
    from cumulative
    where claims_so_far >= greatest(1, floor({{ var('plausible_feed_share') }} * all_claims))
),

-- Which text date columns are written month-first (m/d/yyyy): validation rejects their d/m
-- and m/d dates rather than read them day-first with day and month swapped. A column is
-- when some of its dates read only month-first and none only day-first; a column with no
-- such date either way (every day 12 or less) follows the feed: month-first when some
-- column is and none reads day-first.
join_date_order as (
    {{ date_order_evidence('join_date', ref('raw_customers'), join_family) }}
),

transaction_date_order as (
    {{ date_order_evidence('transaction_date', ref('raw_transactions'), family) }}
),

burn_date_order as (
    {{ date_order_evidence('burn_date', ref('raw_transactions'), burn_family) }}
),

feed_order as (
    select
        (
            join_date_order.month_first_only
            or transaction_date_order.month_first_only
            or burn_date_order.month_first_only
        ) and not (
            join_date_order.day_first_only
            or transaction_date_order.day_first_only
            or burn_date_order.day_first_only
        ) as month_first
    from join_date_order
    cross join transaction_date_order
    cross join burn_date_order
)

select
    {{ earliest }} as earliest_plausible_date,
    feed_reference_date,
    least(
        coalesce(
            cast({{ dbt.dateadd('day', var('plausible_days_after_feed'), 'feed_reference_date') }}
                as date),
            cast('9999-12-30' as date)
        ),
        cast('9999-12-30' as date)
    ) as latest_plausible_date,
    not join_date_order.day_first_only
    and (join_date_order.month_first_only or feed_order.month_first) as join_date_month_first,
    not transaction_date_order.day_first_only
    and (transaction_date_order.month_first_only or feed_order.month_first)
    as transaction_date_month_first,
    not burn_date_order.day_first_only
    and (burn_date_order.month_first_only or feed_order.month_first) as burn_date_month_first
from reference
cross join join_date_order
cross join transaction_date_order
cross join burn_date_order
cross join feed_order
