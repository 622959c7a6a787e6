{#- Where DuckDB and Spark SQL differ and dbt has no cross-database macro. Each macro
    dispatches: default__ is the DuckDB SQL (unchanged, tuned for speed), spark__ the Spark
    SQL with the same meaning. Models call these instead of engine-only syntax, so the same
    project builds with `--target spark` (profiles.yml). -#}

{% macro not_materialized() -%}
    {#- `with x as {{ not_materialized() }}(...)`: DuckDB inlines the CTE instead of writing
        it aside (much faster for CTEs read several times); Spark always inlines. -#}
    {{- return(adapter.dispatch('not_materialized', 'couponseg')()) -}}
{%- endmacro %}
{% macro default__not_materialized() -%}not materialized {% endmacro %}
{% macro spark__not_materialized() -%}{% endmacro %}

{% macro text_type() -%}
    {#- The unbounded text type (`cast(x as {{ text_type() }})`). -#}
    {{- return(adapter.dispatch('text_type', 'couponseg')()) -}}
{%- endmacro %}
{% macro default__text_type() -%}varchar{%- endmacro %}
{% macro spark__text_type() -%}string{%- endmacro %}

{% macro text_length(expression) -%}
    {#- Length of a text; DuckDB's strlen (bytes) is the cheap one: clean_text's > 4 guard
        uses it, where bytes and characters agree, and row_signature as each value's length
        prefix (within one engine). -#}
    {{- return(adapter.dispatch('text_length', 'couponseg')(expression)) -}}
{%- endmacro %}
{% macro default__text_length(expression) -%}strlen({{ expression }}){%- endmacro %}
{% macro spark__text_length(expression) -%}length({{ expression }}){%- endmacro %}

{% macro try_parse_date(expression, format) -%}
    {#- A date parsed with a strptime format (%d, %m, %Y and literal separators); null when
        the text does not match. -#}
    {{- return(adapter.dispatch('try_parse_date', 'couponseg')(expression, format)) -}}
{%- endmacro %}
{% macro default__try_parse_date(expression, format) -%}
    {#- Only text that starts with a digit, as every format here does: DuckDB's strptime
        reads 'infinity', '-infinity' and 'epoch' as 1900-01-01 with any format. Its %Y also
        takes a year of one to three digits ('5/1/24' as 0024-01-05), Spark's yyyy does not:
        the year must have four, as on Spark (else one such date in a column made it
        day-first evidence on one engine only, and the column's order flipped on the other). -#}
    case
        when {{ expression }} >= '0' and {{ expression }} < ':'
            {%- if format.endswith('%Y') %}
            and {{ expression }} like '%{{ format[-3] }}____'
            and right({{ expression }}, 4) not like '%{{ format[-3] }}%'
            {%- elif format.startswith('%Y') %}
            and {{ expression }} like '____{{ format[2] }}%'
            and left({{ expression }}, 4) not like '%{{ format[2] }}%'
            {#- strptime also takes blanks after the day ('2024/1/5' and a tab); Spark's
                pattern must match the whole text -#}
            and right({{ expression }}, 1) between '0' and '9'
            {%- endif %}
            then try_cast(try_strptime({{ expression }}, '{{ format }}') as date)
    end
{%- endmacro %}
{% macro spark__try_parse_date(expression, format) -%}
    {#- Spark's datetime patterns; one letter for day and month accepts 1 or 2 digits, as
        strptime's %d and %m do. -#}
    {%- set pattern = format | replace('%d', 'd') | replace('%m', 'M') | replace('%Y', 'yyyy') -%}
    to_date(try_to_timestamp({{ expression }}, '{{ pattern }}'))
{%- endmacro %}

{% macro regex_full_match(expression, pattern) -%}
    {#- True when the whole text matches the regular expression. -#}
    {{- return(adapter.dispatch('regex_full_match', 'couponseg')(expression, pattern)) -}}
{%- endmacro %}
{% macro default__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__regex_full_match(expression, pattern) -%}
    {#- \z, not $: Java's $ also matches before a final line break ('12' + LF would pass) -#}
    {{ expression }} rlike '^(?:{{ pattern }})\\z'
{%- endmacro %}

{% macro is_ascii(expression) -%}
    {#- True when the text has no character beyond ASCII (one byte per character). -#}
    {{- return(adapter.dispatch('is_ascii', 'couponseg')(expression)) -}}
{%- endmacro %}
{% macro default__is_ascii(expression) -%}
    strlen({{ expression }}) = length({{ expression }})
{%- endmacro %}
{% macro spark__is_ascii(expression) -%}
    octet_length({{ expression }}) = length({{ expression }})
{%- endmacro %}

{% macro text_json_object(pairs) -%}
    {#- A JSON object {"key": "text", ...} from (key, text expression) pairs, null values
        kept as null on both engines (Spark's to_json leaves their keys out unless told). -#}
    {{- return(adapter.dispatch('text_json_object', 'couponseg')(pairs)) -}}
{%- endmacro %}
{% macro default__text_json_object(pairs) -%}
    json_object(
    {%- for key, value in pairs %}
        '{{ key }}', {{ value }}{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}
{% macro spark__text_json_object(pairs) -%}
    to_json(named_struct(
    {%- for key, value in pairs %}
        '{{ key }}', {{ value }}{{ "," if not loop.last }}
    {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}

{% macro star_except(columns) -%}
    {#- Every column but the given ones: `select {{ star_except(['a', 'b']) }} from x`. -#}
    {{- return(adapter.dispatch('star_except', 'couponseg')(columns)) -}}
{%- endmacro %}
{% macro default__star_except(columns) -%}* exclude ({{ columns | join(', ') }}){%- endmacro %}
{% macro spark__star_except(columns) -%}* except ({{ columns | join(', ') }}){%- endmacro %}

{% macro integer_series_join(alias, start, stop) -%}
    {#- Joins one row per integer start..stop (inclusive), evaluated per row of the tables
        before it, as column `alias`: `from a {{ integer_series_join('n', 0, 'a.x') }}`. -#}
    {{- return(adapter.dispatch('integer_series_join', 'couponseg')(alias, start, stop)) -}}
{%- endmacro %}
{% macro default__integer_series_join(alias, start, stop) -%}
    cross join generate_series({{ start }}, {{ stop }}) as series ({{ alias }})
{%- endmacro %}
{% macro spark__integer_series_join(alias, start, stop) -%}
    lateral view explode(sequence(cast({{ start }} as bigint), cast({{ stop }} as bigint)))
        series as {{ alias }}
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    {#- dbt's own cast, used by model contracts (the marts' data_type in yml is written in
        DuckDB's names): Spark calls unbounded text `string`, and a sum of bigints (DuckDB's
        hugeint) is a bigint. -#}
    {%- set spark_types = {'varchar': 'string', 'text': 'string', 'hugeint': 'bigint'} -%}
    cast({{ field }} as {{ spark_types.get(type | trim | lower, type) }})
{%- endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    {#- dbt-spark's datediff gives an int where DuckDB's gives a bigint (the marts' contracts
        say bigint): the same numbers, widened. -#}
    cast({{ dbt_spark_datediff(first_date, second_date, datepart) }} as bigint)
{%- endmacro %}
{% macro dbt_spark_datediff(first_date, second_date, datepart) -%}
    {{- dbt.spark__datediff(first_date, second_date, datepart) -}}
{%- endmacro %}

{% macro array_of(items) -%}
    {#- A list (Spark: array) of the given SQL expressions, in order. -#}
    {{- return(adapter.dispatch('array_of', 'couponseg')(items)) -}}
{%- endmacro %}
{% macro default__array_of(items) -%}[{{ items | join(', ') }}]{%- endmacro %}
{% macro spark__array_of(items) -%}array({{ items | join(', ') }}){%- endmacro %}

{% macro unnest_lists(pairs, index_alias=none, index_offset=0) -%}
    {#- Select-list items: one row per element of the (list, alias) pairs' lists, unnested
        side by side (the lists have equal lengths), and optionally the 1-based position
        plus index_offset as index_alias. -#}
    {{- return(adapter.dispatch('unnest_lists', 'couponseg')(pairs, index_alias, index_offset)) -}}
{%- endmacro %}
{% macro default__unnest_lists(pairs, index_alias, index_offset) -%}
    {%- for list, alias in pairs %}
        unnest({{ list }}) as {{ alias }}{{ "," if not loop.last or index_alias }}
    {%- endfor %}
    {%- if index_alias %}
        generate_subscripts({{ pairs[0][0] }}, 1)
        {%- if index_offset %} {{ '+' if index_offset > 0 else '-' }} {{ index_offset | abs }}{% endif %} as {{ index_alias }}
    {%- endif %}
{%- endmacro %}
{% macro spark__unnest_lists(pairs, index_alias, index_offset) -%}
    {#- Spark allows one generator per select: the lists (and the positions) are zipped. -#}
    {%- set lists = pairs | map(attribute=0) | list -%}
    {%- set aliases = pairs | map(attribute=1) | list -%}
    {%- if index_alias -%}
        {%- set size = 'size(' ~ lists[0] ~ ')' -%}
        {%- do lists.insert(0, 'slice(sequence(1 + ' ~ index_offset ~ ', ' ~ size ~ ' + 1 + '
            ~ index_offset ~ '), 1, ' ~ size ~ ')') -%}
        {%- do aliases.insert(0, index_alias) -%}
    {%- endif -%}
    {%- if lists | length == 1 -%}
        explode({{ lists[0] }}) as {{ aliases[0] }}
    {%- else -%}
        inline(arrays_zip({{ lists | join(', ') }})) as ({{ aliases | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{% macro raise_error(message) -%}
    {#- Stops the query with ``message`` (a text expression) as its error, for a check whose
        failure must say in words what is wrong and what to do (a failing test's row count
        cannot). Only evaluated on the rows that reach it. The error starts with
        'couponseg check: ', which the CLI looks for to show the words whole
        (couponseg/build.py, RAISED). -#}
    {{- return(adapter.dispatch('raise_error', 'couponseg')(message)) -}}
{%- endmacro %}
{% macro default__raise_error(message) -%}
    error('couponseg check: ' || ({{ message }}))
{%- endmacro %}
{% macro spark__raise_error(message) -%}
    raise_error(concat('couponseg check: ', {{ message }}))
{%- endmacro %}
