{#- Passes when no two rows share the same values in all of `columns` (dbt_utils'
    unique_combination_of_columns, which cannot be installed offline). The rows it returns
    come from unique_combination_rows (macros/data_tests.sql), which DuckDB runs sorted. -#}
{% test unique_combination(model, columns) %}
{{ unique_combination_rows(model, columns) }}
{% endtest %}
