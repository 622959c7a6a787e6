-- Is this input the feed the warehouse's segment history came from? One warehouse holds the
-- history of one feed: its stored model scores this input and its last run is compared with
-- this one, customer by customer id. Another dataset built into the same warehouse (the
-- shipped sample, then the real data; a second platform) shares ids with unrelated
-- customers, and would be scored by a model trained on other people and compared with them,
-- silently. So the customers the latest run labelled (those who had joined by this build's
-- as-of date) are looked up in this input's customer rows by id and join date: a weekly feed
-- keeps its customers and their join dates (new ones join, a few may be corrected, erased or
-- rejected); another feed does not. One row, always; `refusal` says why
-- the build stops (assert_history_is_of_this_feed), before a model is reused or trained and
-- before this run's labels are added. segment_history is read by name, not ref(): this
-- model runs before that table's new rows exist (on DuckDB and on Spark alike).
-- depends_on: {{ ref('validated_customers') }}
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

{#- The refusal, in words: texts, and the columns ({'sql': ...}) whose values it names. The
    texts hold no quote (Spark reads '' inside a literal as two literals). #}
{%- set refusal_words = [
    'This ' ~ place ~ ' holds the segment history of another feed: of the ',
    {'sql': 'previous_customers'}, ' customers its latest run (run ', {'sql': 'checked_run_id'},
    ', as of ', {'sql': 'checked_as_of_date'}, ') labelled who had joined by ',
    {'sql': 'as_of_date'}, ' (the as-of date of this build), ', {'sql': 'same_join_date'},
    ' are in this input with the same join date (', {'sql': 'round(100 * match_share, 1)'},
    '%; at least ', {'sql': 'round(100 * min_match_share, 1)'}, '% must be), ',
    {'sql': 'other_join_date'}, ' with another join date and ', {'sql': 'missing_customers'},
    ' not at all. The history and the stored segment model match customers by id, so the '
    ~ 'customers of this input would be taken for those of that feed. Build it into a '
    ~ place ~ ' of its own (' ~ elsewhere ~ '), or move this ' ~ place ~ ' aside to start a '
    ~ 'new history. If these are the same customers (their join dates corrected), couponseg '
    ~ 'build --min-feed-match 0 (dbt var segment_feed_min_match) builds it anyway; the next '
    ~ 'build is then checked against this one.',
] %}
{#- Too few found, but every one found has the join date the run saw: the same feed with
    customers missing (a truncated file), not another feed; the remedies for another feed
    (a new warehouse, or --min-feed-match 0) would start a history without them, or record a
    run without them whom the next complete feed then counts as new. -#}
{%- set incomplete_words = [
    'This input looks like an incomplete delivery of the feed this ' ~ place ~ ' holds the '
    ~ 'segment history of: of the ',
    {'sql': 'previous_customers'}, ' customers its latest run (run ', {'sql': 'checked_run_id'},
    ', as of ', {'sql': 'checked_as_of_date'}, ') labelled who had joined by ',
    {'sql': 'as_of_date'}, ' (the as-of date of this build), ', {'sql': 'same_join_date'},
    ' are in this input, every one with the same join date, and ', {'sql': 'missing_customers'},
    ' not at all (', {'sql': 'round(100 * match_share, 1)'}, '% found; at least ',
    {'sql': 'round(100 * min_match_share, 1)'}, '% must be). Check that the customers file '
    ~ 'is complete and build again. Building it anyway (couponseg build --min-feed-match 0) '
    ~ 'would record a run without the missing customers, and the next complete feed would '
    ~ 'count them as new.',
] %}
{#- When none of the latest run's customers had joined by this build's as-of date, there is
    nobody to look up, yet the same feed would hold nobody by then either (the run, as of
    that date or later, labelled every kept customer who had joined by then): an input with
    customers by then is another feed (one dated years before the history, say), unless it
    holds the run's customers all the same (a backfill from the whole feed, whose earliest
    customers the run rejected). #}
{%- set nobody_words = [
    'This ' ~ place ~ ' holds the segment history of another feed: none of the customers its '
    ~ 'latest run (run ', {'sql': 'checked_run_id'}, ', as of ', {'sql': 'checked_as_of_date'},
    ') labelled had joined by ', {'sql': 'as_of_date'}, ' (the as-of date of this build), yet ',
    {'sql': 'joined_customers'}, ' customers of this input had, and of all the ',
    {'sql': 'run_customers'}, ' customers that run labelled ', {'sql': 'run_same_join_date'},
    ' are in this input with the same join date; that run labelled every kept customer of '
    ~ 'its feed who had joined by then. The history and the stored segment model '
    ~ 'match customers by id, so the customers of this input would be taken for those of '
    ~ 'that feed. Build it into a ' ~ place ~ ' of its own (' ~ elsewhere ~ '), or move this '
    ~ place ~ ' aside to start a new history; couponseg build --min-feed-match 0 (dbt var '
    ~ 'segment_feed_min_match) builds it anyway.',
] %}
{%- set refusal_parts = [] %}
{%- set incomplete_parts = [] %}
{%- set nobody_parts = [] %}
{%- for words, parts in [(refusal_words, refusal_parts), (incomplete_words, incomplete_parts),
                         (nobody_words, nobody_parts)] %}
    {%- for word in words %}
        {%- if word is mapping %}
            {%- do parts.append('cast(' ~ word.sql ~ ' as ' ~ text_type() ~ ')') %}
        {%- else %}
            {%- do parts.append("'" ~ word ~ "'") %}
        {%- endif %}
    {%- endfor %}
{%- endfor %}

with context as (
    select as_of_date from {{ ref('int_run_context') }}
),

latest_run as (
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

-- Each customer of that run, looked up among this input's customer rows, kept or rejected (a
-- customer rejected this week, for an unknown city say, is still this feed's customer; the
-- build reports the rejection): whether its id is there, and with the same join date, and
-- whether it had joined by this build's as-of date (only those are compared: a backfill from
-- a copy of the feed cut at that date cannot hold later joiners). One row per customer,
-- however often its id occurs. Without a history to check, the input is not read at all (a
-- first build pays nothing).
looked_up as (
    {% if has_join_date -%}
        select
            latest_run.customer_id,
            max(case when customers.join_date = latest_run.join_date then 1 else 0 end)
                as same_join_date,
            max(case when customers.customer_id is not null then 1 else 0 end) as found,
            max(case when latest_run.join_date <= context.as_of_date then 1 else 0 end)
                as is_joined
        from latest_run
        cross join context
        left join {{ ref('validated_customers') }} as customers
            on latest_run.customer_id = customers.customer_id
        group by latest_run.customer_id
    {%- else -%}
        select
            cast(null as bigint) as customer_id,
            0 as same_join_date,
            0 as found,
            0 as is_joined
        where 1 = 0
    {%- endif %}
),

-- This input's kept customers who had joined by the as-of date (a run labels kept customers
-- only): read only when there is a history to check, like the lookup above.
joined as (
    {% if has_join_date -%}
        select count(*) as joined_customers
        from {{ ref('validated_customers') }} as customers
        cross join context
        where customers.reject_reason is null and customers.join_date <= context.as_of_date
    {%- else -%}
        select cast(0 as bigint) as joined_customers
    {%- endif %}
),

compared as (
    select
        max(latest_run.run_id) as checked_run_id,
        max(latest_run.as_of_date) as checked_as_of_date,
        cast(coalesce(sum(looked_up.is_joined), 0) as bigint) as previous_customers,
        cast(coalesce(sum(looked_up.is_joined * looked_up.same_join_date), 0) as bigint)
            as same_join_date,
        cast(coalesce(sum(
            looked_up.is_joined * (looked_up.found - looked_up.same_join_date)
        ), 0) as bigint) as other_join_date,
        cast(coalesce(sum(looked_up.is_joined * (1 - looked_up.found)), 0) as bigint)
            as missing_customers,
        count(looked_up.customer_id) as run_customers,
        cast(coalesce(sum(looked_up.same_join_date), 0) as bigint) as run_same_join_date
    from latest_run
    left join looked_up
        on latest_run.customer_id = looked_up.customer_id
),

shared as (
    select
        compared.*,
        joined.joined_customers,
        context.as_of_date,
        cast(compared.same_join_date as double) / nullif(compared.previous_customers, 0)
            as match_share,
        cast({{ var('segment_feed_min_match') }} as double) as min_match_share
    from compared
    cross join joined
    cross join context
),

judged as (
    select
        *,
        case
            when previous_customers > 0 then match_share >= min_match_share
            -- nobody of the run to look up: the same feed holds nobody by then either
            else not (
                checked_as_of_date >= as_of_date and joined_customers > 0
                and min_match_share > 0
                and coalesce(
                    cast(run_same_join_date as double) / nullif(run_customers, 0), 0
                ) < min_match_share
            )
        end as is_same_feed
    from shared
)

select
    cast(checked_run_id as integer) as checked_run_id,
    checked_as_of_date,
    as_of_date,
    previous_customers,
    same_join_date,
    other_join_date,
    missing_customers,
    joined_customers,
    run_customers,
    run_same_join_date,
    match_share,
    min_match_share,
    is_same_feed,
    case
        when is_same_feed then null
        when previous_customers > 0 and same_join_date > 0 and other_join_date = 0
            then {{ dbt.concat(incomplete_parts) }}
        when previous_customers > 0 then {{ dbt.concat(refusal_parts) }}
        else {{ dbt.concat(nobody_parts) }}
    end as refusal
from judged
