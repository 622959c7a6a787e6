{#- Raw values arrive as text (CSV, workbooks) or typed (Parquet). These macros are the one
    place where raw values become typed data; a value they cannot parse becomes null, and the
    staging models turn that null into a reject reason rather than dropping the row. A column
    that already has the right type (a Parquet BIGINT id, a DATE) is taken as it is, so large
    typed inputs are not turned into text and parsed back. -#}

{% macro null_tokens() -%}
    {%- do return(['', 'nan', 'nat', 'null', 'none', 'n/a']) -%}
{%- endmacro %}

{% macro clean_text(column) -%}
    {#- Trimmed text; the null tokens ('', 'nan', 'null'...) in any case become null. Only for
        ids and dates, where no real value looks like a null token (a city may be called
        'Nan', a merchant 'None'). The length guard and the OR chain (not IN, which DuckDB
        plans as a join) keep this cheap on tens of millions of rows. -#}
    case
        when {{ text_length(trim_blank(column)) }} > 4 then {{ trim_blank(column) }}
        when
        {%- for token in null_tokens() %}
            {{ "or " if not loop.first }}lower({{ trim_blank(column) }}) = '{{ token }}'
        {%- endfor %}
            then null
        else {{ trim_blank(column) }}
    end
{%- endmacro %}

{% macro clean_name(column) -%}
    {#- Free text (names, statuses): trimmed, and blank means missing. Nothing else is read as
        null: 'None', 'N/A' and 'Nan' are values here. -#}
    nullif({{ trim_blank(column) }}, '')
{%- endmacro %}

{% macro trim_blank(column) -%}
    {#- The value without the blanks around it: spaces, no-break spaces and the other Unicode
        space separators (what DuckDB's trim strips). Spark's own trim strips only ' ', so on
        Spark the same characters are listed, and ' Burned\u00a0' is a burn on both engines.
        Tabs and line breaks stay part of the value on both: DuckDB strips a list of
        characters several times slower than its own trim, on every value of a 50M-row feed, and a status that keeps one is
        rejected as unknown and reported, never taken as another value. -#}
    {{- return(adapter.dispatch('trim_blank', 'couponseg')(column)) -}}
{%- endmacro %}
{% macro default__trim_blank(column) -%}
    trim({{ column }})
{%- endmacro %}
{% macro spark__trim_blank(column) -%}
    {#- Unicode escapes, which Spark's SQL parser reads in a string literal -#}
    {%- set blanks = [' ', '00a0', '1680', '2000', '2001', '2002', '2003', '2004', '2005', '2006',
                      '2007', '2008', '2009', '200a', '202f', '205f', '3000'] -%}
    trim(both '{% for code in blanks %}{{ code if loop.first else '\\u' ~ code }}{% endfor %}' from {{ column }})
{%- endmacro %}

{% macro type_family(data_type) -%}
    {#- text, integer, decimal, float, float4, date, timestamp or other, for a DuckDB (or
        Spark) column type. float is apart from decimal: a double holds whole numbers exactly
        only up to 2^53; float4 (DuckDB's FLOAT / REAL, Spark's float) only up to 2^24. -#}
    {%- set t = (data_type or 'varchar') | lower -%}
    {%- if t in ('varchar', 'text', 'string') or t.startswith('varchar') -%}
        {%- do return('text') -%}
    {%- elif t in ('tinyint', 'smallint', 'integer', 'bigint', 'hugeint', 'utinyint',
                   'usmallint', 'uinteger', 'ubigint', 'int', 'int4', 'int8') -%}
        {%- do return('integer') -%}
    {%- elif t in ('double', 'float8', 'double precision') -%}
        {%- do return('float') -%}
    {%- elif t in ('float', 'real', 'float4') -%}
        {%- do return('float4') -%}
    {%- elif t.startswith('decimal') -%}
        {%- do return('decimal') -%}
    {%- elif t == 'date' -%}
        {%- do return('date') -%}
    {%- elif t.startswith('timestamp') -%}
        {%- do return('timestamp') -%}
    {%- endif -%}
    {%- do return('other') -%}
{%- endmacro %}

{% macro raw_column_types(raw_model) -%}
    {#- Column name -> type family of a raw table, read from the warehouse when the model
        runs (at parse time everything is assumed to be text). -#}
    {#- The table is looked up in the raw schema, not through ref(): inside a unit test ref()
        names the fixture, whose values dbt casts to the real raw table's types. -#}
    {%- set types = {} -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema=generate_schema_name('raw', none),
            identifier=raw_model) -%}
        {%- for column in (adapter.get_columns_in_relation(relation) if relation else []) -%}
            {%- do types.update({column.name | lower: type_family(column.dtype)}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return(types) -%}
{%- endmacro %}

{% macro cleaned_source(raw_model, columns, typed=[], types=none) -%}
    {#- The raw table with each value cleaned once. Columns listed in `typed` (ids and dates)
        keep a numeric or date type when the file has one, else are text with the null tokens
        turned into null; every other column is free text (clean_name). `types`:
        raw_column_types(raw_model), when the caller has it already. The original values stay
        in raw_*; audit_rejected_rows shows them for rejected rows. -#}
    {%- set types = types if types is not none else raw_column_types(raw_model) -%}
    select
        _source_row as source_row,
        {%- for column in columns %}
        {%- set family = types.get(column, 'text') %}
        {%- set text = column if family == 'text' else 'cast(' ~ column ~ ' as ' ~ text_type() ~ ')' %}
        {%- if column in typed and family in ('float', 'float4') %}
        {#- NaN in a float column is no value, as the null tokens are in text -#}
        case when not isnan({{ column }}) then {{ column }} end as {{ column }}{{ "," if not loop.last }}
        {%- elif column in typed and family in ('integer', 'decimal', 'date', 'timestamp') %}
        {{ column }}{{ "," if not loop.last }}
        {%- elif column in typed %}
        {{ clean_text(text) }} as {{ column }}{{ "," if not loop.last }}
        {%- else %}
        {{ clean_name(text) }} as {{ column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ ref(raw_model) }}
{%- endmacro %}

{% macro parse_id(column, family='text') -%}
    {#- Exact whole numbers in BIGINT range, never through a double (which would turn
        9007199254740993 into ...992 and '1e-400' into 0): 12, -3, +7, 007 and 12.0 parse;
        12.5, 1e3, 0x1F, 1_000 and anything beyond BIGINT do not. `family` is the raw
        column's type family (raw_column_types); text input is cleaned text. The round trip
        through varchar settles the common case cheaply; only other spellings meet the regex. -#}
    {%- if family == 'integer' -%}
        try_cast({{ column }} as bigint)
    {%- elif family == 'decimal' -%}
        case
            when {{ column }} = floor({{ column }}) then try_cast({{ column }} as bigint)
        end
    {%- elif family in ('float', 'float4') -%}
        {#- Beyond 2^53 a double is not the id that was meant (a Parquet DECIMAL of more than
            38 digits arrives as one: 9007199254740993 read as ...992): invalid, not rounded.
            A 4-byte float is exact only below 2^24 (16777217 is stored as 16777216). -#}
        case
            when
                {{ column }} = floor({{ column }})
                and abs({{ column }}) < {{ 9007199254740992 if family == 'float' else 16777216 }}
                then try_cast({{ column }} as bigint)
        end
    {%- elif family in ('date', 'timestamp') -%}
        {#- A date is not an id (a Parquet column typed as a date where an id belongs): every
            value is invalid, as text that is not a number would be. -#}
        cast(null as bigint)
    {%- else -%}
        case
            when cast(try_cast({{ column }} as bigint) as {{ text_type() }}) = {{ column }}
                then try_cast({{ column }} as bigint)
            {#- '+7', '007', '12.0': the digits before the point. Spark's try_cast does not
                take '12.0' as a whole number (DuckDB's does), so both cast the digits alone. -#}
            when {{ regex_full_match(column, '[+-]?[0-9]+([.]0*)?') }}
                then try_cast(regexp_extract({{ column }}, '^[+-]?[0-9]+', 0) as bigint)
        end
    {%- endif -%}
{%- endmacro %}

{% macro iso_date_time_pattern() -%}
    {#- An ISO date with a time of day (seconds and fractions optional) and at most one of: AM
        or PM after a space, Z, a numeric offset, UTC or GMT (any case) after a space with an
        optional offset. Exactly what DuckDB's casts read as that day (448 spellings checked):
        Spark's date cast ignores whatever follows the date, so a text beyond these ('25:99',
        '10:00am', a lower-case z, 'Z+05:30', a 't' separator) would be a date there and
        invalid on DuckDB; both now reject it. The time is one (hours 0-23, minutes and
        seconds 0-59), or 24:00 (ISO's end of the day, read as that day on both). -#}
    {#- an offset: +HH, +HHMM, +HH:MM or +HH:MM:SS (DuckDB refuses +HHMMSS and mixed forms) -#}
    {%- set offset = '[+-][0-9]{2}([0-9]{2}|:[0-9]{2}(:[0-9]{2})?)?' -%}
    {{- return('[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ T](([01]?[0-9]|2[0-3]):[0-5][0-9]'
               ~ '(:[0-5][0-9]([.][0-9]+)?)?|24:00(:00([.]0+)?)?)'
               ~ '( [AaPp][Mm]| ?Z| ?' ~ offset ~ '| ([Uu][Tt][Cc]|[Gg][Mm][Tt])(' ~ offset ~ ')?)?') -}}
{%- endmacro %}

{% macro short_date_text(column) -%}
    {#- Text the engine's own date cast may take as it is. DuckDB's cast reads nothing but a
        date (or 'infinity') into ten characters (a length test is the cheapest check on a 50M-row text
        feed); Spark's also takes '2024', '2024-03' and '2024-1-2 x', so on Spark the text
        must be an ISO date. -#}
    {{- return(adapter.dispatch('short_date_text', 'couponseg')(column)) -}}
{%- endmacro %}
{% macro default__short_date_text(column) -%}
    {#- starting with a digit: DuckDB's cast also reads 'infinity', which is no date (on
        Spark it is invalid too); the string comparisons cost less than a function call.
        Dashes after a four-digit year and a digit at the end, as Spark's pattern has it:
        DuckDB's cast also reads '2024 1 5', '2024\1\5' and a date followed by a tab or a
        line break, which the README says stay part of a value. -#}
    length({{ column }}) <= 10 and {{ column }} >= '0' and {{ column }} < ':'
    and {{ column }} like '____-%' and right({{ column }}, 1) between '0' and '9'
{%- endmacro %}
{% macro spark__short_date_text(column) -%}
    {{ regex_full_match(column, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') }}
{%- endmacro %}

{% macro parse_date(column, family='text') -%}
    {#- ISO dates and timestamps, day-first dd/mm/yyyy and dd-mm-yyyy (the business is in
        Egypt), yyyy/mm/dd, and Excel serial day numbers (days since 1899-12-30) of five
        digits (1927-05-18 .. 2173-10-14): a bare year such as 2024 is not a date, nor is the
        text 'infinity' (on both engines). Whether a date is plausible (a typed infinite date,
        1900 or 2099) is a separate check
        (plausible_date_checks). `family` is the raw column's type family (raw_column_types);
        text input is cleaned text. -#}
    {%- if family == 'date' -%}
        {{ column }}
    {%- elif family == 'timestamp' -%}
        cast({{ column }} as date)
    {%- elif family in ('integer', 'decimal', 'float', 'float4') -%}
        case
            when {{ column }} between 10000 and 99999 and {{ column }} = floor({{ column }})
                then date '1899-12-30' + cast({{ column }} as integer)
        end
    {%- else -%}
    coalesce(
        {#- After a time of day both engines' casts take any word for a time zone and drop
            it ('2024-01-02 10:00:00 garbage' would be 2024-01-02, and '... BC' too): text
            longer than a date must be a date and time with at most Z, UTC, GMT or an offset
            after it. -#}
        case
            when
                {{ short_date_text(column) }}
                or {{ regex_full_match(column, iso_date_time_pattern()) }}
                then coalesce(
                    try_cast({{ column }} as date),
                    try_cast(try_cast({{ column }} as timestamp) as date)
                )
        end,
        {{ try_parse_date(column, '%d/%m/%Y') }},
        {{ try_parse_date(column, '%d-%m-%Y') }},
        {{ try_parse_date(column, '%Y/%m/%d') }},
        case
            when {{ regex_full_match(column, '[0-9]{5}([.]0+)?') }}
                then date '1899-12-30' + cast(try_cast({{ column }} as double) as integer)
        end
    )
    {%- endif -%}
{%- endmacro %}

{% macro date_order_evidence(column, relation, family) -%}
    {#- One row: whether some distinct spelling of a text date column reads only month-first
        (`month_first_only`: 5/22/2022, m/d/yyyy or m-d-yyyy as US spreadsheets export dates)
        and whether some reads only day-first (`day_first_only`: 22/05/2022). parse_date
        reads d/m/yyyy day-first, which in a month-first column would swap day and month
        wherever the day is 12 or less; plausible_date_range judges the columns from this.
        A typed column has neither. -#}
    {%- if family == 'text' -%}
    select
        coalesce(max(case when {{ read_only_as('spelling', '%m', '%d') }} then 1 end), 0) = 1
        as month_first_only,
        coalesce(max(case when {{ read_only_as('spelling', '%d', '%m') }} then 1 end), 0) = 1
        as day_first_only
    from (select distinct {{ clean_text(column) }} as spelling from {{ relation }}) as spellings
    {%- else -%}
    select
        false as month_first_only,
        false as day_first_only
    {%- endif -%}
{%- endmacro %}

{% macro read_only_as(column, first, second) -%}
    {#- The text is a date with `first` then `second` (%d or %m) and the year, slashes or
        dashes between, and not one the other way round. -#}
    (
    {%- for separator in ['/', '-'] %}
        {{ 'or ' if not loop.first }}(
            {{ try_parse_date(column, first ~ separator ~ second ~ separator ~ '%Y') }} is not null
            and {{ try_parse_date(column, second ~ separator ~ first ~ separator ~ '%Y') }} is null
        )
    {%- endfor %}
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
        occur more than once are windowed, so millions of unique keys cost one pass
        (repeated_values). `parsed` (and the `source` it reads) should be declared NOT
        MATERIALIZED: it is read three times, and re-reading a few columns is far cheaper than
        DuckDB writing all of them aside (38 s against 27 s for validated_transactions at 50M
        rows). -#}
    duplicate_keys as (
        {{ repeated_values('parsed', [parsed_key], 2) }}
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
    {#- A hash of the row's values, each written as its length, ':' and the text (null as
        '<null>', which no such part can be): two rows share it only when every value is the
        same. A plain join with '|' made ('a|b', 'c') and ('a', 'b|c') one row. -#}
    {%- set parts = [] -%}
    {%- for column in value_columns -%}
        {%- set text = "cast(" ~ column ~ " as " ~ text_type() ~ ")" -%}
        {%- set sized = dbt.concat(["cast(" ~ text_length(text) ~ " as " ~ text_type() ~ ")",
                                    "':'", text]) -%}
        {%- do parts.append("coalesce(" ~ sized ~ ", '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro raw_values_json(columns, relation_alias) -%}
    {#- The raw row as a JSON object of text, so a rejected row can be read and fixed. -#}
    {%- set pairs = [] -%}
    {%- for column in columns -%}
        {%- do pairs.append((column, 'cast(' ~ relation_alias ~ '.' ~ column ~ ' as ' ~ text_type() ~ ')')) -%}
    {%- endfor -%}
    {{ text_json_object(pairs) }}
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
