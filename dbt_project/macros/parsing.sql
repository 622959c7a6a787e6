{#- Raw values arrive as text. These macros are the one place where text becomes typed data;
    a value they cannot parse becomes null, and the staging models turn that null into a
    reject reason rather than dropping the row. -#}

{% macro clean_text(column) -%}
    case
        when lower(trim({{ column }})) in ('', 'nan', 'nat', 'null', 'none', 'n/a')
            then null
        else trim({{ column }})
    end
{%- endmacro %}

{% macro parse_id(column) -%}
    {#- Whole numbers only: '12' and '12.0' parse, '12.5' and 'abc' do not. -#}
    case
        when try_cast({{ clean_text(column) }} as double)
            = floor(try_cast({{ clean_text(column) }} as double))
            then try_cast(try_cast({{ clean_text(column) }} as double) as bigint)
    end
{%- endmacro %}

{% macro parse_date(column) -%}
    {#- ISO dates and timestamps, day-first dd/mm/yyyy and dd-mm-yyyy (the business is in
        Egypt), and Excel serial day numbers (days since 1899-12-30) stored as numbers. -#}
    coalesce(
        try_cast({{ clean_text(column) }} as date),
        try_cast(try_cast({{ clean_text(column) }} as timestamp) as date),
        try_cast(try_strptime({{ clean_text(column) }}, '%d/%m/%Y') as date),
        try_cast(try_strptime({{ clean_text(column) }}, '%d-%m-%Y') as date),
        try_cast(try_strptime({{ clean_text(column) }}, '%Y/%m/%d') as date),
        case
            when regexp_full_match({{ clean_text(column) }}, '[0-9]{4,5}(\.0+)?')
                then date '1899-12-30'
                + cast(try_cast({{ clean_text(column) }} as double) as integer)
        end
    )
{%- endmacro %}

{% macro first_failing(checks) -%}
    {#- checks: list of (condition, reason) pairs in priority order; the first that holds
        names the row's reject reason, none holding gives null (the row is kept). -#}
    case
    {%- for condition, reason in checks %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}

{% macro duplicate_checks(parsed_key, value_columns) -%}
    {#- Window columns that tell exact copies (same key, same values) from conflicting ones
        (same key, different values). -#}
    row_number() over (
        partition by {{ parsed_key }} order by source_row
    ) as _copy_number,
    min({{ row_signature(value_columns) }}) over (partition by {{ parsed_key }})
    <> max({{ row_signature(value_columns) }}) over (partition by {{ parsed_key }})
    as _has_conflicting_copy
{%- endmacro %}

{% macro row_signature(value_columns) -%}
    {%- set parts = [] -%}
    {%- for column in value_columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro raw_values_json(columns) -%}
    {#- The raw row as a JSON object of text, so a rejected row can be read and fixed. -#}
    json_object(
    {%- for column in columns %}
        '{{ column }}', {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}
