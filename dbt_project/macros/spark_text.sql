{#- Text as the inside of a Spark SQL string literal: Spark reads a backslash as an escape, so
    backslashes are doubled first, then apostrophes escaped. Shared by the seed loader and the
    column comments, so no text reaches Spark changed or breaking its quotes. -#}
{% macro spark_escape_text(text) -%}
  {{- return(text | replace('\\', '\\\\') | replace("'", "\\'")) -}}
{%- endmacro %}

{#- A text value (a dbt var such as campaign_seed) as a SQL string literal that reads back
    as exactly that text on either engine: dbt.string_literal quotes without escaping, so an
    apostrophe in the value would end the literal. -#}
{% macro text_literal(text) -%}
  {{- return(adapter.dispatch('text_literal', 'couponseg')(text | string)) -}}
{%- endmacro %}
{% macro default__text_literal(text) -%}
  {{- return("'" ~ (text | replace("'", "''")) ~ "'") -}}
{%- endmacro %}
{% macro spark__text_literal(text) -%}
  {{- return("'" ~ spark_escape_text(text) ~ "'") -}}
{%- endmacro %}
