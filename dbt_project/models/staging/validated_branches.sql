{%- set types = raw_column_types('raw_branches') -%}

with source as {{ not_materialized() }}(
    {{ cleaned_source('raw_branches', ['branch_id', 'merchant_id'], typed=['branch_id', 'merchant_id'],
        types=types) }}
),

parsed as {{ not_materialized() }}(
    select
        source_row,
        branch_id as raw_branch_id,
        merchant_id as raw_merchant_id,
        {{ parse_id('branch_id', types.branch_id) }} as branch_id,
        {{ parse_id('merchant_id', types.merchant_id) }} as merchant_id
    from source
),

{{ flag_duplicates('branch_id', ['raw_merchant_id']) }}

select
    source_row,
    branch_id,
    merchant_id,
    {{ first_failing(
        key_checks('raw_branch_id', 'branch_id', 'branch_id')
        + foreign_key_checks(
            'raw_merchant_id', 'flagged.merchant_id', ref('stg_merchants'), 'merchant_id',
            'merchant_id'
        )
    ) }} as reject_reason
from flagged
