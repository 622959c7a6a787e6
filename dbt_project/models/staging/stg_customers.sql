{{ config(materialized='view') }}

{{ kept_rows('validated_customers', ['customer_id', 'join_date', 'city_id', 'gender_id']) }}
