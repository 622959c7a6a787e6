select
    context.as_of_date,
    context.as_of_given,
    context.burn_window_days,
    context.last_claim_date,
    context.last_burn_date,
    context.last_join_date,
    manifest.input_name,
    manifest.input_kind,
    manifest.input_fingerprint,
    manifest.input_files
from {{ ref('int_run_context') }} as context
cross join {{ ref('raw_input_manifest') }} as manifest
