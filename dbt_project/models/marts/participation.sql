-- The report's participation table: per cycle, one row per peer group (provider_type x
-- org_type), a subtotal per provider type (org_type = 'all') and a total (both 'all').
--   registered_trusts  every organisation in the cycle's participants list (latest file),
--                      whatever its Y/N flags (the list is of trusts registered for the cycle)
--   completed_returns  organisations with at least one accepted workbook for the cycle
--                      (org_return_versions), whatever its item flags; copies and
--                      resubmissions count once
-- Peer group from the latest register; an organisation missing from it is grouped under
-- provider_type / org_type 'unknown' so the totals still add up.
--   trusts_with_staff_responses / staff_responses (and the service-user pair): trusts with at
--                      least one survey response that counts, and those responses (after
--                      deduplication, quarantine and the caps; a response with blank or
--                      invalid answers still counts)
with registered as (
    select cycle_year, org_code from {{ ref('int_participants_registered') }}
),

completed as (
    select distinct cycle_year, org_code from {{ ref('int_org_return_versions_ranked') }}
),

surveyed as (
    select
        cycle_year,
        org_code,
        count(case when source = 'staff_survey' then 1 end) as staff_responses,
        count(case when source = 'service_user_survey' then 1 end) as service_user_responses
    from {{ ref('stg_validated__survey_responses') }}
    where status = 'counted'
    group by cycle_year, org_code
),

codes as (
    select cycle_year, org_code from registered
    union
    select cycle_year, org_code from completed
    union
    select cycle_year, org_code from surveyed
),

trusts as (
    select
        codes.cycle_year,
        codes.org_code,
        registered.org_code is not null as is_registered,
        completed.org_code is not null as has_completed,
        coalesce(surveyed.staff_responses, 0) as staff_responses,
        coalesce(surveyed.service_user_responses, 0) as service_user_responses
    from codes
    left join registered
        on codes.cycle_year = registered.cycle_year
        and codes.org_code = registered.org_code
    left join completed
        on codes.cycle_year = completed.cycle_year
        and codes.org_code = completed.org_code
    left join surveyed
        on codes.cycle_year = surveyed.cycle_year
        and codes.org_code = surveyed.org_code
),

grouped as (
    select
        trusts.cycle_year,
        coalesce(organisations.provider_type, 'unknown') as provider_type,
        coalesce(organisations.org_type, 'unknown') as org_type,
        trusts.is_registered,
        trusts.has_completed,
        trusts.staff_responses,
        trusts.service_user_responses
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
        count(case when has_completed then 1 end) as completed_returns,
        count(case when staff_responses > 0 then 1 end) as trusts_with_staff_responses,
        sum(staff_responses) as staff_responses,
        count(case when service_user_responses > 0 then 1 end) as trusts_with_service_user_responses,
        sum(service_user_responses) as service_user_responses
    from grouped
    group by cycle_year, provider_type, org_type
),

provider_types as (
    select
        cycle_year,
        provider_type,
        'all' as org_type,
        sum(registered_trusts) as registered_trusts,
        sum(completed_returns) as completed_returns,
        sum(trusts_with_staff_responses) as trusts_with_staff_responses,
        sum(staff_responses) as staff_responses,
        sum(trusts_with_service_user_responses) as trusts_with_service_user_responses,
        sum(service_user_responses) as service_user_responses
    from peer_groups
    group by cycle_year, provider_type
),

totals as (
    select
        cycles.cycle_year,
        'all' as provider_type,
        'all' as org_type,
        coalesce(sum(peer_groups.registered_trusts), 0) as registered_trusts,
        coalesce(sum(peer_groups.completed_returns), 0) as completed_returns,
        coalesce(sum(peer_groups.trusts_with_staff_responses), 0) as trusts_with_staff_responses,
        coalesce(sum(peer_groups.staff_responses), 0) as staff_responses,
        coalesce(sum(peer_groups.trusts_with_service_user_responses), 0) as trusts_with_service_user_responses,
        coalesce(sum(peer_groups.service_user_responses), 0) as service_user_responses
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
    cast(trusts_with_staff_responses as {{ dbt.type_int() }}) as trusts_with_staff_responses,
    cast(staff_responses as {{ dbt.type_int() }}) as staff_responses,
    cast(trusts_with_service_user_responses as {{ dbt.type_int() }}) as trusts_with_service_user_responses,
    cast(service_user_responses as {{ dbt.type_int() }}) as service_user_responses
from all_rows
