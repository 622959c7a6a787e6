{{ validate_lookup('raw_cities', 'city_id', 'city_name') }}
