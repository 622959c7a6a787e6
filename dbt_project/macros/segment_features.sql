{#- Features profiled per segment (means and z-scores against all customers). -#}
{% macro segment_profile_features() -%}
    {%- do return([
        'claims', 'burns', 'burn_rate', 'matured_burn_rate', 'recency_days', 'tenure_days',
        'mean_days_to_burn', 'claims_per_active_month', 'active_months', 'distinct_merchants',
        'favourite_merchant_share', 'days_to_first_claim', 'no_transaction_share'
    ]) -%}
{%- endmacro %}

{% macro fmt_pct(expression) -%}
    coalesce(cast(cast(round(100 * {{ expression }}) as integer) as {{ text_type() }}) || '%', 'n/a')
{%- endmacro %}

{% macro fmt_num(expression, digits=1) -%}
    coalesce(cast(round(cast({{ expression }} as decimal(18, 4)), {{ digits }}) as {{ text_type() }}), 'n/a')
{%- endmacro %}

{#- The segment model's training sample order: a seeded pseudo-random integer in
    [0, 2147483647) of a bigint id, the same on DuckDB and Spark (plain integer arithmetic,
    no engine hash). A Lehmer step (x * 48271 + seed) mod p of the id mod p, p = 2^31 - 1,
    then squared mod p, so that consecutive ids do not keep their order. Every product stays
    under 2^62: neither engine can overflow. -#}
{% macro sample_rank(customer_id, seed) -%}
    {%- set p = 2147483647 -%}
    {%- set s = (seed | int) % p -%}
    {%- set step = '(((' ~ customer_id ~ ' % ' ~ p ~ ') * 48271 + ' ~ s ~ ') % ' ~ p ~ ')' -%}
    ({{ step }} * {{ step }} + {{ s }}) % {{ p }}
{%- endmacro %}
