{{ config(meta={'dagster': {'ref': {'name': 'participation'}}}) }}
-- The subtotal rows (org_type 'all') and the total row (both 'all') of the participation
-- table equal the sums of the peer-group rows they cover.
with peer_groups as (
    select *
    from {{ ref('participation') }}
    where provider_type <> 'all' and org_type <> 'all'
),

expected as (
    select cycle_year, provider_type, 'all' as org_type,
        sum(registered_trusts) as registered_trusts, sum(completed_returns) as completed_returns
    from peer_groups
    group by cycle_year, provider_type
    union all
    select cycle_year, 'all' as provider_type, 'all' as org_type,
        sum(registered_trusts) as registered_trusts, sum(completed_returns) as completed_returns
    from peer_groups
    group by cycle_year
)

select expected.*, actual.registered_trusts as actual_registered, actual.completed_returns as actual_completed
from expected
left join {{ ref('participation') }} as actual
    on expected.cycle_year = actual.cycle_year
    and expected.provider_type = actual.provider_type
    and expected.org_type = actual.org_type
where actual.cycle_year is null
    or actual.registered_trusts <> expected.registered_trusts
    or actual.completed_returns <> expected.completed_returns
