{% macro py_write_table(temporary, relation, compiled_code, partitioned_by=none, sorted_by=none) -%}
    {#- How a dbt Python model's result becomes a table on DuckDB: dbt-duckdb's own way
        (`dbt.py_write_table`), except for a model whose meta names a compression method
        for some of its text columns (`meta: {column_compression: {column: method}}`), for
        example ZSTD for coupon names, nearly all distinct, where DuckDB's default string
        compression is the slowest part of writing the raw transactions (README, "Scale and
        speed"). Such a table is created with its columns spelled out (the types DuckDB
        reports for the result) and the method on each named column that holds text, then
        filled. DuckDB takes these methods for text only: a named column of another type
        keeps DuckDB's own choice, as every column not named does. A named column the result
        lacks stops the model, so a renamed column cannot drop the setting unnoticed. -#}
    {%- set compression = (config.get('meta') or {}).get('column_compression') or {} -%}
    {%- if not compression or temporary or partitioned_by or sorted_by -%}
        {{ dbt.py_write_table(temporary, relation, compiled_code, partitioned_by, sorted_by) }}
    {%- else -%}
{{ compiled_code }}


def materialize(df, con):
    import json

    import pyarrow.dataset  # noqa: F401 - as dbt-duckdb does for Arrow results (duckdb#6584)

    compression = json.loads({{ compression | tojson | tojson }})
    name = '__dbt_python_model_df_' + '{{ relation.identifier }}'
    con.register(name, df)
    try:
        columns = con.execute('describe select * from ' + name).fetchall()
        missing = sorted(set(compression) - {column[0] for column in columns})
        if missing:
            raise ValueError('column_compression names columns {{ relation }} does not have: '
                             + ', '.join(missing))

        def definition(column_name, column_type):
            quoted = '"' + column_name.replace('"', '""') + '"'
            method = compression.get(column_name) if column_type == 'VARCHAR' else None
            return quoted + ' ' + column_type + (' using compression ' + method if method else '')

        con.execute('create table {{ relation }} ('
                    + ', '.join(definition(column[0], column[1]) for column in columns) + ')')
        con.execute('insert into {{ relation }} select * from ' + name)
    finally:
        con.unregister(name)
    {%- endif %}
{%- endmacro %}
