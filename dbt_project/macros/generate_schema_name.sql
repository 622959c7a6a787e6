{#- Use the folder's schema name as is (raw, staging, marts, ...) so analysts query
    marts.customer_features rather than main_marts.customer_features. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
