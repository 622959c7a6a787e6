{#- Claims, burns and the matured burn rate of a group of fct_coupon_transactions rows
    (alias `tx`; rows may be null from a left join: a group without claims gets 0 / null). -#}
{% macro burn_summary(tx='tx') -%}
    count({{ tx }}.transaction_id) as claims,
    coalesce(sum(case when {{ tx }}.is_burnt then 1 else 0 end), 0) as burns,
    cast(sum(case when {{ tx }}.is_burnt and {{ tx }}.is_matured then 1 else 0 end) as double)
    / nullif(sum(case when {{ tx }}.is_matured then 1 else 0 end), 0) as matured_burn_rate
{%- endmacro %}

{#- Rank by burns, most first; ties broken by the given column. -#}
{% macro burn_rank(tie_breaker, tx='tx') -%}
    row_number() over (
        order by coalesce(sum(case when {{ tx }}.is_burnt then 1 else 0 end), 0) desc,
        {{ tie_breaker }}
    ) as burn_rank
{%- endmacro %}
