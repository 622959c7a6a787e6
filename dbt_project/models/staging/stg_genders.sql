{{ config(materialized='view') }}

{{ kept_rows('validated_genders', ['gender_id', 'gender_name']) }}
