{{ validate_lookup('raw_genders', 'gender_id', 'gender_name') }}
