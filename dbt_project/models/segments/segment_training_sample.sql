-- The customers a new segment model trains on: the first segment_sample_size of them by
-- sample_rank (seeded by segment_seed), ties by id. Both engines' training steps read this
-- view (segment_model on DuckDB, couponseg.spark_engine on Spark), so they train on the same
-- customers. Only read when a model trains.
-- Built after segment_feed_check and its test: a model is neither trained nor reused for an
-- input that is not the feed of the warehouse's history.
-- depends_on: {{ ref('segment_feed_check') }}
{{ config(materialized='view') }}

select
    customer_id,
    {{ sample_rank('customer_id', var('segment_seed')) }} as sample_rank
from {{ ref('customer_features') }}
order by sample_rank, customer_id
limit {{ var('segment_sample_size') }}
