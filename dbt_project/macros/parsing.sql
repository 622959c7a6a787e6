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

{% macro cleaned_source(raw_model, columns) -%}
    {#- The raw table with each value cleaned once (trimmed; '', 'nan', 'null'... -> null).
        The original text stays in raw_*; audit_rejected_rows shows it for rejected rows. -#}
    select
        _source_row as source_row,
        {%- for column in columns %}
        {{ clean_text(column) }} as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref(raw_model) }}
{%- endmacro %}

{% macro parse_id(column) -%}
    {#- Whole numbers only: '12' and '12.0' parse, '12.5' and 'abc' do not. Input is
        cleaned text (cleaned_source). -#}
    case
        when try_cast({{ column }} as double) = floor(try_cast({{ column }} as double))
            then try_cast(try_cast({{ column }} as double) as bigint)
    end
{%- endmacro %}

{% macro parse_date(column) -%}
    {#- ISO dates and timestamps, day-first dd/mm/yyyy and dd-mm-yyyy (the business is in
        Egypt), yyyy/mm/dd, and Excel serial day numbers (days since 1899-12-30). Input is
        cleaned text (cleaned_source). -#}
    coalesce(
        try_cast({{ column }} as date),
        try_cast(try_cast({{ column }} as timestamp) as date),
        try_cast(try_strptime({{ column }}, '%d/%m/%Y') as date),
        try_cast(try_strptime({{ column }}, '%d-%m-%Y') as date),
        try_cast(try_strptime({{ column }}, '%Y/%m/%d') as date),
        case
            when regexp_full_match({{ column }}, '[0-9]{4,5}(\.0+)?')
                then date '1899-12-30' + cast(try_cast({{ column }} as double) as integer)
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

{% macro flag_duplicates(parsed_key, value_columns) -%}
    {#- CTEs ending in `flagged`: every row of `parsed` plus _copy_number (1 for the first
        copy of a key) and _has_conflicting_copy (same key, different values). Only keys that
        occur more than once are windowed, so millions of unique keys cost one aggregate. -#}
    duplicate_keys as (
        select {{ parsed_key }}
        from parsed
        where {{ parsed_key }} is not null
        group by {{ parsed_key }}
        having count(*) > 1
    ),

    duplicates as (
        select
            source_row,
            row_number() over (
                partition by {{ parsed_key }} order by source_row
            ) as copy_number,
            min({{ row_signature(value_columns) }}) over (partition by {{ parsed_key }})
            <> max({{ row_signature(value_columns) }}) over (partition by {{ parsed_key }})
            as has_conflicting_copy
        from parsed
        where {{ parsed_key }} in (select dk.{{ parsed_key }} from duplicate_keys as dk)
    ),

    flagged as (
        select
            parsed.*,
            coalesce(duplicates.copy_number, 1) as _copy_number,
            coalesce(duplicates.has_conflicting_copy, false) as _has_conflicting_copy
        from parsed
        left join duplicates on parsed.source_row = duplicates.source_row
    )
{%- endmacro %}

{% macro row_signature(value_columns) -%}
    {%- set parts = [] -%}
    {%- for column in value_columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro raw_values_json(columns, relation_alias) -%}
    {#- The raw row as a JSON object of text, so a rejected row can be read and fixed. -#}
    json_object(
    {%- for column in columns %}
        '{{ column }}', {{ relation_alias }}.{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{% macro source_columns() -%}
    {#- The six input tables and their columns (as models_py.loader.REQUIRED_COLUMNS). -#}
    {%- do return({
        'customers': ['customer_id', 'join_date', 'city_id', 'gender_id'],
        'genders': ['gender_id', 'gender_name'],
        'cities': ['city_id', 'city_name'],
        'transactions': ['transaction_id', 'customer_id', 'transaction_date',
                         'transaction_status', 'coupon_name', 'burn_date', 'branch_id'],
        'branches': ['branch_id', 'merchant_id'],
        'merchants': ['merchant_id', 'merchant_name'],
    }) -%}
{%- endmacro %}
