{#- 95 % Wilson score interval of a proportion successes / trials (Wilson 1927): unlike the
    normal approximation it stays inside 0..1 and behaves on small n and on rates near 0 or
    1, which is where most segment x merchant cells are. side: 'low' or 'high'; null when
    trials is 0. Clamped to 0..1: at a rate of 0 or 1 rounding would step just outside. -#}
{% macro wilson_bound(successes, trials, side, z=1.96) -%}
    {%- set n = 'cast(nullif(' ~ trials ~ ', 0) as double)' -%}
    {%- set p = 'cast(' ~ successes ~ ' as double) / ' ~ n -%}
    case
        {#- Exact at the ends: rounding left 1e-18 for 0 of 347, which then "cleared" a rate
            of 0 and labelled an offer nobody burnt a proven lift. #}
        when {{ trials }} > 0 and {{ successes }} = {{ '0' if side == 'low' else trials }}
            then {{ '0.0' if side == 'low' else '1.0' }}
        when {{ trials }} > 0 then {{ 'greatest(0.0, ' if side == 'low' else 'least(1.0, ' }}(
        ({{ p }} + {{ z * z }} / (2 * {{ n }}))
        {{ '-' if side == 'low' else '+' }} {{ z }} * sqrt(
            {{ p }} * (1 - {{ p }}) / {{ n }} + {{ z * z }} / (4 * {{ n }} * {{ n }})
        )
    ) / (1 + {{ z * z }} / {{ n }})) end
{%- endmacro %}

{#- The campaign draw of a customer: an md5 of customer id and campaign seed (dbt.hash, so
    it is the same text on every engine). -#}
{% macro campaign_draw(customer_id) -%}
    {{ dbt.hash(dbt.concat([
        'cast(' ~ customer_id ~ ' as ' ~ dbt.type_string() ~ ')',
        dbt.string_literal('|'),
        text_literal(var('campaign_seed'))
    ])) }}
{%- endmacro %}

{#- The draw as a number in [0, 1): its first 8 hex digits over 16^8. A customer is held out
    when this is below holdout_share, a threshold of their own, so their group never depends
    on who else is in their segment this week. -#}
{% macro campaign_draw_fraction(draw) -%}
    {{ return(adapter.dispatch('campaign_draw_fraction', 'couponseg')(draw)) }}
{%- endmacro %}
{% macro default__campaign_draw_fraction(draw) -%}
    cast(('0x' || substr({{ draw }}, 1, 8)) as bigint) / 4294967296.0
{%- endmacro %}
{% macro spark__campaign_draw_fraction(draw) -%}
    cast(conv(substr({{ draw }}, 1, 8), 16, 10) as bigint) / 4294967296.0
{%- endmacro %}

{#- Claims, burns, matured claims and matured burns of a group of claim rows. -#}
{% macro offer_counts(rows) -%}
    cast(count(*) as bigint) as claims,
    cast(sum(case when {{ rows }}.is_burnt then 1 else 0 end) as bigint) as burns,
    cast(sum(case when {{ rows }}.is_matured then 1 else 0 end) as bigint) as matured_claims,
    cast(sum(case when {{ rows }}.is_matured and {{ rows }}.is_burnt then 1 else 0 end) as bigint)
    as matured_burns
{%- endmacro %}

{#- An audience file written by `couponseg export` (CSV or Parquet, by its extension), as a
    relation with the exported columns. The engine's own file reader, hence dispatched. -#}
{% macro read_exported_audience(path) -%}
    {{ return(adapter.dispatch('read_exported_audience')(path)) }}
{%- endmacro %}

{% macro default__read_exported_audience(path) -%}
    {%- if path.endswith('.parquet') -%}
        read_parquet('{{ path }}')
    {%- else -%}
        read_csv('{{ path }}', header = true, all_varchar = true)
    {%- endif -%}
{%- endmacro %}

{% macro spark__read_exported_audience(path) -%}
    {%- if path.endswith('.parquet') -%}
        parquet.`{{ path }}`
    {%- else -%}
        csv.`{{ path }}`
    {%- endif -%}
{%- endmacro %}

{#- Undo the export's spreadsheet-safety rule on a CSV text cell: one leading apostrophe. -#}
{% macro unneutralise(column) -%}
    case
        when {{ column }} like '''%' then substr({{ column }}, 2)
        else {{ column }}
    end
{%- endmacro %}

{#- Treatment against holdout on one metric of the readout: both groups' values, their
    difference, and its 95 % interval by Newcombe's hybrid score method (each side's margin
    from the two Wilson intervals, <metric>_low / <metric>_high). Five columns named after
    the metric, for a join of the rated groups as treated and held. -#}
{% macro newcombe_difference(metric, treated='treated', held='held') -%}
    {%- set t = treated ~ '.' ~ metric -%}
    {%- set h = held ~ '.' ~ metric -%}
    {{ t }} as treatment_{{ metric }},
    {{ h }} as holdout_{{ metric }},
    {{ t }} - {{ h }} as {{ metric }}_difference,
    {{ t }} - {{ h }} - sqrt(
        power({{ t }} - {{ t }}_low, 2) + power({{ h }}_high - {{ h }}, 2)
    ) as {{ metric }}_difference_low,
    {{ t }} - {{ h }} + sqrt(
        power({{ t }}_high - {{ t }}, 2) + power({{ h }} - {{ h }}_low, 2)
    ) as {{ metric }}_difference_high
{%- endmacro %}
