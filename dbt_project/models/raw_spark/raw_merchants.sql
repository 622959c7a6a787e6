-- On Spark: the merchants table as couponseg.spark_engine loaded it (see _raw_spark__sources.yml).
select * from {{ source('spark_landing', 'merchants') }}
