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
