-- On Spark: customer_segments as couponseg.spark_engine's Python step wrote it (see _segments_spark__sources.yml).
select * from {{ source('spark_python_step', 'customer_segments') }}
