{{ validate_lookup('raw_merchants', 'merchant_id', 'merchant_name') }}
