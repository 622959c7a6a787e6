-- Coupon strategy per segment from its type's playbook (seed segment_playbooks: strategy,
-- priority, coupon approach), with a rationale that quotes the segment's numbers. A segment
-- without a type (a centroid no training customer was nearest to) gets the catch-all
-- playbook, the one with the last rule_order. The rationale quotes the segment's means of
-- customer features (segment_profiles): its burn rate is the average of its customers' own
-- rates, named so, since burnt claims / claims (the report's 'Burn rate') weighs heavy
-- claimers more.
with playbooks as (
    select * from {{ ref('segment_playbooks') }}
),

catch_all as (
    select * from playbooks
    order by rule_order desc
    limit 1
),

strategies as (
    select
        profiles.*,
        coalesce(playbooks.priority, catch_all.priority) as priority,
        coalesce(playbooks.strategy, catch_all.strategy) as strategy,
        coalesce(playbooks.coupon_approach, catch_all.coupon_approach) as coupon_strategy
    from {{ ref('segment_profiles') }} as profiles
    cross join catch_all
    left join playbooks on profiles.segment_type = playbooks.segment_type
)

select
    segment_id,
    segment_name,
    segment_type,
    customers,
    share,
    priority,
    strategy,
    coupon_strategy,
    {{ fmt_num('customers', 0) }} || ' customers (' || {{ fmt_pct('share') }} || ' of all). '
    || 'Average customer burn rate ' || {{ fmt_pct('mean_burn_rate') }} || ' vs '
    || {{ fmt_pct('pop_mean_burn_rate') }} || ' for the average customer; '
    || {{ fmt_num('mean_claims') }} || ' claims per customer vs '
    || {{ fmt_num('pop_mean_claims') }} || '; last active '
    || {{ fmt_num('mean_recency_days', 0) }} || ' days ago on average vs '
    || {{ fmt_num('pop_mean_recency_days', 0) }} || '; member for '
    || {{ fmt_num('mean_tenure_days', 0) }} || ' days vs '
    || {{ fmt_num('pop_mean_tenure_days', 0) }} || '.' as rationale
from strategies
