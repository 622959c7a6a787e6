{#- Reusable reject rules. Each returns (condition, reason) pairs for first_failing(), so every
    staging model states its checks in one readable list, in priority order. -#}

{% macro required_value_checks(raw_column, parsed_column, label) -%}
    {%- do return([
        (raw_column ~ " is null", "missing_" ~ label),
        (parsed_column ~ " is null", "invalid_" ~ label),
    ]) -%}
{%- endmacro %}

{% macro name_checks(raw_column, label) -%}
    {#- A required free-text name: present, and not an Excel error value (#N/A, #REF!, ...),
        which is what a spreadsheet shows where the formula behind a cell failed, not a
        name. Any other text is kept as written. The prefix test first: every value is
        checked, and only those starting with '#' need the upper-cased list. Upper-casing
        that changes a value's length is none of Excel's: Spark's maps the ligature 'ﬁ' to
        'FI' ('#ﬁeld!' to '#FIELD!'), DuckDB's keeps it, and both keep such a name. -#}
    {%- set literals = [] -%}
    {%- for value in excel_error_values() -%}
        {%- do literals.append(text_literal(value)) -%}
    {%- endfor -%}
    {%- do return([
        (raw_column ~ " is null", "missing_" ~ label),
        ("(" ~ raw_column ~ " like '#%' and upper(" ~ raw_column ~ ") in ("
            ~ literals | join(', ') ~ ") and length(upper(" ~ raw_column ~ ")) = length("
            ~ raw_column ~ ") or " ~ raw_column ~ " like 'Err:5%' and "
            ~ regex_full_match(raw_column, 'Err:5[0-9][0-9]') ~ ")", "excel_error_" ~ label),
    ]) -%}
{%- endmacro %}

{% macro excel_error_values() -%}
    {#- The error values a spreadsheet cell can hold, upper-cased, as Excel writes them in
        English, German, French, Spanish, Italian, Portuguese and Dutch and LibreOffice in
        English (also into a CSV export), and #ERROR!, which models_py/xlsx_errors.py gives
        an error cell that holds no text of its own. LibreOffice's numbered errors
        (Err:501 .. Err:599) are matched by name_checks' pattern. -#}
    {%- do return([
        '#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A', '#GETTING_DATA',
        '#SPILL!', '#CALC!', '#FIELD!', '#BLOCKED!', '#CONNECT!', '#BUSY!', '#UNKNOWN!',
        '#EXTERNAL!', '#PYTHON!', '#ERROR!',
        '#NV', '#WERT!', '#BEZUG!', '#ZAHL!', '#NULL!',
        '#VALEUR!', '#NOM?', '#NOMBRE!', '#NUL!',
        '#¡VALOR!', '#¡REF!', '#¡DIV/0!', '#¿NOMBRE?', '#¡NUM!', '#¡NULO!',
        '#N/D', '#VALORE!', '#RIF!', '#NOME?', '#NULLO!',
        '#VALOR!', '#NÚM!', '#NULO!',
        '#N/B', '#WAARDE!', '#VERW!', '#DEEL/0!', '#NAAM?', '#GETAL!', '#LEEG!',
    ] | unique | list) -%}
{%- endmacro %}

{% macro date_checks(raw_column, parsed_column, label, family, range_alias='date_range') -%}
    {#- A required date: present, not in a column written month-first, parsed, and
        plausible (finite, within the one-row plausible_date_range, which the caller joins
        as range_alias). `family`: the raw column's type family (raw_column_types). -#}
    {%- set required = required_value_checks(raw_column, parsed_column, label) -%}
    {%- do return(required[:1] + month_first_checks(raw_column, label, family, range_alias)
        + required[1:] + plausible_date_checks(parsed_column, label, range_alias)) -%}
{%- endmacro %}

{% macro month_first_checks(raw_column, label, family, range_alias='date_range') -%}
    {#- A date written d/m/yyyy or m/d/yyyy (slashes or dashes) in a text column that
        plausible_date_range (joined as range_alias) finds written month-first: read
        day-first, as parse_date reads it, its day and month would be swapped (or it would
        not parse), so it is rejected as month_first_<label>. Never for a typed column (the
        check is then `false`, so every build lists the same checks in the same order). -#}
    {%- if family == 'text' -%}
        {%- set condition = range_alias ~ "." ~ label ~ "_month_first and "
            ~ regex_full_match(raw_column, '[0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{4}') -%}
    {%- else -%}
        {%- set condition = "false" -%}
    {%- endif -%}
    {%- do return([(condition, "month_first_" ~ label)]) -%}
{%- endmacro %}

{% macro plausible_date_checks(parsed_column, label, range_alias='date_range') -%}
    {#- Infinite dates (typed Parquet dates; the text 'infinity' is no date) fall outside any
        range, so one comparison covers them, 0001-01-01 and 9999-12-31. -#}
    {%- do return([
        ("not " ~ parsed_column ~ " between " ~ range_alias ~ ".earliest_plausible_date and "
            ~ range_alias ~ ".latest_plausible_date", "implausible_" ~ label),
    ]) -%}
{%- endmacro %}

{% macro key_checks(raw_column, parsed_column, label) -%}
    {%- do return(required_value_checks(raw_column, parsed_column, label) + [
        ("_has_conflicting_copy", "conflicting_duplicate_" ~ label),
        ("_copy_number > 1", "duplicate_row"),
    ]) -%}
{%- endmacro %}

{% macro foreign_key_checks(raw_column, parsed_column, parent, parent_key, label) -%}
    {%- do return(required_value_checks(raw_column, parsed_column, label) + [
        ("not exists (select 1 from " ~ parent ~ " as parent where parent." ~ parent_key
            ~ " = " ~ parsed_column ~ ")", "unknown_" ~ label),
    ]) -%}
{%- endmacro %}

{% macro resolved_key_checks(raw_column, parsed_column, found_column, label) -%}
    {#- As foreign_key_checks, for a parent already left-joined: found_column is the parent's
        key, null when no staged parent has this key. -#}
    {%- do return(required_value_checks(raw_column, parsed_column, label) + [
        (found_column ~ " is null", "unknown_" ~ label),
    ]) -%}
{%- endmacro %}

{% macro validate_lookup(raw_model, key, name) -%}
    {#- The three lookup tables (genders, cities, merchants) share one shape: an id and a name. -#}
    {%- set types = raw_column_types(raw_model) %}
    with source as {{ not_materialized() }}(
        {{ cleaned_source(raw_model, [key, name], typed=[key], types=types) }}
    ),

    parsed as {{ not_materialized() }}(
        select
            source_row,
            {{ parse_id(key, types.get(key)) }} as {{ key }},
            {{ name }},
            {{ key }} as _raw_key,
            {{ name }} as _raw_name
        from source
    ),

    {{ flag_duplicates(key, ['_raw_name']) }}

    select
        source_row,
        {{ key }},
        {{ name }},
        {{ first_failing(
            key_checks('_raw_key', key, key)
            + name_checks('_raw_name', name)
        ) }} as reject_reason
    from flagged
{%- endmacro %}

{% macro kept_rows(validated_model, columns) -%}
    {#- A stg_ model is the rows its validated_ table kept: the same columns, without the
        verdict. One definition, so every table's staging view filters the same way. -#}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        source_row
    from {{ ref(validated_model) }}
    where reject_reason is null
{%- endmacro %}
