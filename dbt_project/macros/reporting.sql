{#- Claims, burns and the matured burn rate of a group of fct_transaction_counts rows (alias
    `tx`; rows may be null from a left join: a group without claims gets 0 / null). Counts are
    bigint on every engine. -#}
{% macro burn_summary(tx='tx') -%}
    cast(coalesce(sum({{ tx }}.transactions), 0) as bigint) as claims,
    cast(coalesce(sum(case when {{ tx }}.is_burnt then {{ tx }}.transactions else 0 end), 0) as bigint)
    as burns,
    cast(sum(case when {{ tx }}.is_burnt and {{ tx }}.is_matured then {{ tx }}.transactions else 0 end)
        as double)
    / nullif(sum(case when {{ tx }}.is_matured then {{ tx }}.transactions else 0 end), 0)
    as matured_burn_rate
{%- endmacro %}

{#- Rank by burns, most first; ties broken by the given column. -#}
{% macro burn_rank(tie_breaker, tx='tx') -%}
    row_number() over (
        order by coalesce(sum(case when {{ tx }}.is_burnt then {{ tx }}.transactions else 0 end), 0) desc,
        {{ tie_breaker }}
    ) as burn_rank
{%- endmacro %}

{#- A scalar subquery: the column's value on the first row of the relation in the given order
    (the order ends with a tie-breaker, so the pick is deterministic). -#}
{% macro first_in_order(column, relation, order_by) -%}
    (select {{ column }} from {{ relation }} order by {{ order_by }} limit 1)
{%- endmacro %}

{#- Four columns: the label of the row with the highest rate and that rate, then the label of
    the row with the lowest rate and that rate; ties go to the first label. names: the four
    column names, in that order. -#}
{% macro best_and_worst(relation, label, rate, names) -%}
    {{ first_in_order(label, relation, rate ~ ' desc, ' ~ label ~ ' asc') }} as {{ names[0] }},
    (select max({{ rate }}) from {{ relation }}) as {{ names[1] }},
    {{ first_in_order(label, relation, rate ~ ' asc, ' ~ label ~ ' asc') }} as {{ names[2] }},
    (select min({{ rate }}) from {{ relation }}) as {{ names[3] }}
{%- endmacro %}
