-- On Spark: segment_model as couponseg.spark_engine's Python step wrote it (see _segments_spark__sources.yml).
select * from {{ source('spark_python_step', 'segment_model') }}
