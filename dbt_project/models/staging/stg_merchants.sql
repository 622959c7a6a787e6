{{ config(materialized='view') }}

{{ kept_rows('validated_merchants', ['merchant_id', 'merchant_name']) }}
