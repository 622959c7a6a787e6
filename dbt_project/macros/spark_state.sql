{% macro mark_dbt_run() -%}
    {#- on-run-start, after check_vars: on Spark, every dbt build, run, test or seed rewrites
        audit.last_spark_dbt_run, so the files under spark-warehouse/ change even when the
        run only redefined a view (a view has no files of its own). couponseg report
        --engine spark reuses the build's copy of the tables only while those files are as
        they were when it was made (couponseg/spark_state.py). Nothing on DuckDB, whose
        report reads the warehouse itself. -#}
    {{- return(adapter.dispatch('mark_dbt_run', 'couponseg')()) -}}
{%- endmacro %}

{% macro default__mark_dbt_run() -%}{%- endmacro %}

{% macro spark__mark_dbt_run() -%}
    {%- if execute %}
        {%- do run_query("create schema if not exists audit") %}
        {%- do run_query("create table if not exists audit.last_spark_dbt_run"
                         ~ " (invocation_id string, started_at timestamp) using parquet") %}
        {%- do run_query("insert overwrite table audit.last_spark_dbt_run select "
                         ~ text_literal(invocation_id) ~ ", current_timestamp()") %}
    {%- endif %}
{%- endmacro %}
