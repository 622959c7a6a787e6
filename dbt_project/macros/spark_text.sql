{#- Text as the inside of a Spark SQL string literal: Spark reads a backslash as an escape, so
    backslashes are doubled first, then apostrophes escaped. Shared by the seed loader and the
    column comments, so no text reaches Spark changed or breaking its quotes. -#}
{% macro spark_escape_text(text) -%}
  {{- return(text | replace('\\', '\\\\') | replace("'", "\\'")) -}}
{%- endmacro %}
