{{ config(materialized='view') }}

{{ kept_rows('validated_branches', ['branch_id', 'merchant_id']) }}
