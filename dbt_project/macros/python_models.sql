{% macro drop_python_model_leftovers(relation) %}
    {#- An incremental Python model's post-hook. dbt-duckdb 1.11 writes the new rows into a
        table it means to be temporary (<model>__dbt_tmp<time>), but creates it as an
        ordinary table of the main schema and never drops it: every build after the first
        left an empty table beside the marts. Dropped here, once its rows are in the model.
        Runs its own statements; returns no SQL. -#}
    {%- if execute and target.type == 'duckdb' %}
        {%- set leftovers = run_query(
            "select table_name from duckdb_tables() where not temporary"
            ~ " and database_name = current_database() and schema_name = 'main'"
            ~ " and starts_with(table_name, '" ~ relation.identifier ~ "__dbt_tmp')") %}
        {%- for name in leftovers.columns[0].values() %}
            {%- do run_query('drop table main."' ~ name ~ '"') %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
