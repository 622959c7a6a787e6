{{ config(materialized='view') }}

{{ kept_rows('validated_cities', ['city_id', 'city_name']) }}
