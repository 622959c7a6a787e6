{%- set types = raw_column_types('raw_customers') -%}

with source as {{ not_materialized() }}(
    {{ cleaned_source(
        'raw_customers', ['customer_id', 'join_date', 'city_id', 'gender_id'],
        typed=['customer_id', 'join_date', 'city_id', 'gender_id'], types=types
    ) }}
),

parsed as {{ not_materialized() }}(
    select
        source_row,
        customer_id as raw_customer_id,
        join_date as raw_join_date,
        city_id as raw_city_id,
        gender_id as raw_gender_id,
        {{ parse_id('customer_id', types.customer_id) }} as customer_id,
        {{ parse_date('join_date', types.join_date) }} as join_date,
        {{ parse_id('city_id', types.city_id) }} as city_id,
        {{ parse_id('gender_id', types.gender_id) }} as gender_id
    from source
),

{{ flag_duplicates('customer_id', ['raw_join_date', 'raw_city_id', 'raw_gender_id']) }}

-- Cities and genders are probed here, in staging, rather than in an int_ model: each row is
-- judged once in one place (README, "Bad input"), and a rejected parent cascades to its
-- children in the same pass.
select
    flagged.source_row,
    flagged.customer_id,
    flagged.join_date,
    flagged.city_id,
    flagged.gender_id,
    {{ first_failing(
        key_checks('raw_customer_id', 'customer_id', 'customer_id')
        + date_checks('raw_join_date', 'join_date', 'join_date', types.get('join_date', 'text'))
        + foreign_key_checks(
            'raw_city_id', 'flagged.city_id', ref('stg_cities'), 'city_id', 'city_id'
        )
        + foreign_key_checks(
            'raw_gender_id', 'flagged.gender_id', ref('stg_genders'), 'gender_id', 'gender_id'
        )
    ) }} as reject_reason
from flagged
cross join {{ ref('plausible_date_range') }} as date_range
