{#- dbt-spark's column comment of a view built with persist_docs, cut to the 256
    characters the Hive metastore keeps (COLUMNS_V2.COMMENT is VARCHAR(256)). dbt-spark passes
    the whole description: the metastore refuses the longer comment, its handler retries ten
    times two seconds apart (silently: Spark logs that handler at FATAL only), then Spark
    stores the relation in its own format: about 20 s of a Spark build per relation with one
    long column description. Only dbt-spark calls this macro; DuckDB keeps whole comments. -#}
{% macro get_column_comment_sql(column_name, column_dict) -%}
  {%- set description = column_dict[column_name]["description"]
      if column_name in column_dict else none -%}
  {%- if description and description | length > 256 -%}
    {%- set description = description[:255] ~ "…" -%}
  {%- endif -%}
  {{ adapter.quote(column_name) }}
  {%- if description %} comment '{{ spark_escape_text(description) }}'{% endif %}
{%- endmacro %}
