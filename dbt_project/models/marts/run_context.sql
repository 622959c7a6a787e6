-- The run's parameters and input identity, with the two facts a reader must see before
-- trusting the numbers: how many rows had implausible dates (rejected; README "Bad input")
-- and how many valid rows are dated after the as-of date (left out as not yet happened).
with implausible as (
    select coalesce(sum(rejected_rows), 0) as implausible_date_rows
    from {{ ref('audit_rejection_summary') }}
    where reason like 'implausible%'
),

after_as_of as (
    select coalesce(sum(after_as_of_rows), 0) as after_as_of_rows
    from {{ ref('audit_row_reconciliation') }}
)

select
    context.as_of_date,
    context.as_of_given,
    context.burn_window_days,
    context.last_claim_date,
    context.last_burn_date,
    context.last_join_date,
    context.earliest_plausible_date,
    context.latest_plausible_date,
    cast(implausible.implausible_date_rows as bigint) as implausible_date_rows,
    cast(after_as_of.after_as_of_rows as bigint) as after_as_of_rows,
    manifest.input_name,
    manifest.input_kind,
    manifest.input_fingerprint,
    manifest.input_files
from {{ ref('int_run_context') }} as context
cross join implausible
cross join after_as_of
cross join {{ ref('raw_input_manifest') }} as manifest
