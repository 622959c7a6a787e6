-- Is this input the feed the warehouse's segment history came from? One warehouse holds the
-- history of one feed: its stored model scores this input and its last run is compared with
-- this one, customer by customer id. Another dataset built into the same warehouse (the
-- shipped sample, then the real data; a second platform) shares ids with unrelated
-- customers, and would be scored by a model trained on other people and compared with them,
-- silently. So the customers the latest run labelled are looked up in this input's staged
-- customers: a weekly feed keeps its customers and their join dates (new ones join, a few
-- may be corrected or erased); another feed does not. One row, always; `refusal` says why
-- the build stops (assert_history_is_of_this_feed), before a model is reused or trained and
-- before this run's labels are added. segment_history is read by name, not ref(): this
-- model runs before that table's new rows exist (on DuckDB and on Spark alike).
{%- set history = none %}
{%- set has_join_date = false %}
{%- if execute %}
    {%- set history = adapter.get_relation(
        database=this.database, schema=this.schema, identifier='segment_history') %}
    {%- if history is not none %}
        {%- set columns = adapter.get_columns_in_relation(history)
            | map(attribute='name') | map('lower') | list %}
        {#- Runs built before join_date was kept cannot be checked: no check, not a refusal. #}
        {%- set has_join_date = 'join_date' in columns %}
    {%- endif %}
{%- endif %}

{#- Where the history lives, in the refusal's words: a DuckDB file or a Spark folder. #}
{%- if target.type == 'spark' %}
    {%- set place = 'Spark folder' %}
    {%- set elsewhere = 'COUPONSEG_SPARK_DIR=OTHER couponseg build --engine spark' %}
{%- else %}
    {%- set place = 'warehouse' %}
    {%- set elsewhere = 'couponseg build --warehouse OTHER.duckdb' %}
{%- endif %}

with previous as (
    {% if has_join_date -%}
        select
            run_id,
            as_of_date,
            customer_id,
            join_date
        from {{ history }}
        where
            join_date is not null
            and run_id = (select max(run_id) from {{ history }} where join_date is not null)
    {%- else -%}
        select
            cast(null as integer) as run_id,
            cast(null as date) as as_of_date,
            cast(null as bigint) as customer_id,
            cast(null as date) as join_date
        where 1 = 0
    {%- endif %}
),

compared as (
    select
        max(previous.run_id) as checked_run_id,
        max(previous.as_of_date) as checked_as_of_date,
        count(*) as previous_customers,
        -- count_if of no rows is null on DuckDB
        cast(coalesce(count_if(previous.join_date = customers.join_date), 0) as bigint)
            as same_join_date,
        cast(coalesce(count_if(previous.join_date != customers.join_date), 0) as bigint)
            as other_join_date,
        cast(coalesce(count_if(customers.customer_id is null), 0) as bigint)
            as missing_customers
    from previous
    left join {{ ref('stg_customers') }} as customers
        on previous.customer_id = customers.customer_id
),

shared as (
    select
        compared.*,
        cast(compared.same_join_date as double) / nullif(compared.previous_customers, 0)
            as match_share,
        cast({{ var('segment_feed_min_match') }} as double) as min_match_share
    from compared
),

judged as (
    select
        *,
        coalesce(match_share >= min_match_share, true) as is_same_feed
    from shared
)

select
    cast(checked_run_id as integer) as checked_run_id,
    checked_as_of_date,
    previous_customers,
    same_join_date,
    other_join_date,
    missing_customers,
    match_share,
    min_match_share,
    is_same_feed,
    case when not is_same_feed then {{ dbt.concat([
        "'This " ~ place ~ " holds the segment history of another feed: of the '",
        "cast(previous_customers as " ~ text_type() ~ ")",
        "' customers its latest run (run '",
        "cast(checked_run_id as " ~ text_type() ~ ")",
        "', as of '",
        "cast(checked_as_of_date as " ~ text_type() ~ ")",
        "') labelled, '",
        "cast(same_join_date as " ~ text_type() ~ ")",
        "' are in this input with the same join date ('",
        "cast(round(100 * match_share, 1) as " ~ text_type() ~ ")",
        "'%; at least '",
        "cast(round(100 * min_match_share, 1) as " ~ text_type() ~ ")",
        "'% must be), '",
        "cast(other_join_date as " ~ text_type() ~ ")",
        "' with another join date and '",
        "cast(missing_customers as " ~ text_type() ~ ")",
        "' not at all. Its stored segment model would score unrelated customers who share '",
        "'ids, and this run would be compared with theirs. Build this input into a " ~ place
            ~ " of its own (" ~ elsewhere ~ "), or move this " ~ place ~ " aside '",
        "'to start a new history. If these are the same customers (their join dates '",
        "'corrected), couponseg build --min-feed-match 0 (dbt var segment_feed_min_match) '",
        "'builds it anyway.'",
    ]) }} end as refusal
from judged
