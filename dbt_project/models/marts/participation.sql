-- The report's participation table: per cycle, one row per peer group (provider_type x
-- org_type), a subtotal per provider type (org_type = 'all') and a total (both 'all').
--   registered_trusts  every organisation in the cycle's participants list (latest file),
--                      whatever its Y/N flags (the list is of trusts registered for the cycle)
--   completed_returns  organisations with at least one accepted workbook for the cycle
--                      (org_return_versions), whatever its item flags; copies and
--                      resubmissions count once
-- Peer group from the latest register; an organisation missing from it is grouped under
-- provider_type / org_type 'unknown' so the totals still add up.
-- The four survey columns are NULL here: the survey prong fills them.
with registered as (
    select cycle_year, org_code from {{ ref('int_participants_registered') }}
),

completed as (
    select distinct cycle_year, org_code from {{ ref('int_org_return_versions_ranked') }}
),

trusts as (
    select
        coalesce(registered.cycle_year, completed.cycle_year) as cycle_year,
        coalesce(registered.org_code, completed.org_code) as org_code,
        registered.org_code is not null as is_registered,
        completed.org_code is not null as has_completed
    from registered
    full outer join completed
        on registered.cycle_year = completed.cycle_year
        and registered.org_code = completed.org_code
),

grouped as (
    select
        trusts.cycle_year,
        coalesce(organisations.provider_type, 'unknown') as provider_type,
        coalesce(organisations.org_type, 'unknown') as org_type,
        trusts.is_registered,
        trusts.has_completed
    from trusts
    left join {{ ref('int_organisations_registered') }} as organisations
        on trusts.org_code = organisations.org_code
),

peer_groups as (
    select
        cycle_year,
        provider_type,
        org_type,
        count(case when is_registered then 1 end) as registered_trusts,
        count(case when has_completed then 1 end) as completed_returns
    from grouped
    group by cycle_year, provider_type, org_type
),

provider_types as (
    select
        cycle_year,
        provider_type,
        'all' as org_type,
        sum(registered_trusts) as registered_trusts,
        sum(completed_returns) as completed_returns
    from peer_groups
    group by cycle_year, provider_type
),

totals as (
    select
        cycles.cycle_year,
        'all' as provider_type,
        'all' as org_type,
        coalesce(sum(peer_groups.registered_trusts), 0) as registered_trusts,
        coalesce(sum(peer_groups.completed_returns), 0) as completed_returns
    from {{ ref('int_cycles_collected') }} as cycles
    left join peer_groups
        on cycles.cycle_year = peer_groups.cycle_year
    group by cycles.cycle_year
),

all_rows as (
    select * from peer_groups
    union all
    select * from provider_types
    union all
    select * from totals
)

select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(provider_type as {{ dbt.type_string() }}) as provider_type,
    cast(org_type as {{ dbt.type_string() }}) as org_type,
    cast(registered_trusts as {{ dbt.type_int() }}) as registered_trusts,
    cast(completed_returns as {{ dbt.type_int() }}) as completed_returns,
    cast(null as {{ dbt.type_int() }}) as trusts_with_staff_responses,
    cast(null as {{ dbt.type_int() }}) as staff_responses,
    cast(null as {{ dbt.type_int() }}) as trusts_with_service_user_responses,
    cast(null as {{ dbt.type_int() }}) as service_user_responses
from all_rows
