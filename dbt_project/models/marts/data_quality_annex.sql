{{ config(tags=['flag_loop']) }}
-- The data-quality annex of each cycle: what was left out of the published figures and why.
--   * a value of a trust's current return excluded from every aggregate because it carries an
--     error flag on that return (the rest of the return still counts);
--   * a trust whose every workbook was rejected at file level (no accepted return);
--   * a rule that could not be evaluated (rule_evaluations), e.g. R10 without incident feeds.
-- Warnings never exclude a value, so they are not listed here.
with excluded_values as (
    select
        screened.cycle_year,
        screened.org_code,
        screened.item_id,
        flags.rule_id,
        'value excluded' as exclusion,
        flags.message as reason
    from {{ ref('int_org_return_values_screened') }} as screened
    inner join {{ ref('int_validation_flags_resolved') }} as flags
        on screened.cycle_year = flags.cycle_year
        and screened.org_code = flags.org_code
        and screened.item_id = flags.item_id
        and flags.severity = 'error'
        and flags.status = 'open'
    where screened.has_error_flag
),

accepted as (
    select distinct cycle_year, org_code from {{ ref('int_org_return_versions_ranked') }}
),

rejected_returns as (
    select
        flags.cycle_year,
        flags.org_code,
        cast(null as {{ dbt.type_string() }}) as item_id,
        flags.rule_id,
        'return rejected' as exclusion,
        flags.message as reason
    from {{ ref('int_validation_flags_resolved') }} as flags
    left join accepted
        on flags.cycle_year = accepted.cycle_year
        and flags.org_code = accepted.org_code
    where flags.rule_id in ('F01', 'F02', 'F03', 'F04')
        and flags.status = 'open'
        and accepted.org_code is null
        -- a file outside every cycle folder (flagged by the landing audit) belongs to no cycle's annex
        and flags.cycle_year is not null
),

not_evaluated as (
    select
        cycle_year,
        org_code,
        cast(null as {{ dbt.type_string() }}) as item_id,
        rule_id,
        'rule not evaluated' as exclusion,
        detail as reason
    from {{ ref('rule_evaluations') }}
    where status = 'not_evaluated'
)

select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(item_id as {{ dbt.type_string() }}) as item_id,
    cast(rule_id as {{ dbt.type_string() }}) as rule_id,
    cast(exclusion as {{ dbt.type_string() }}) as exclusion,
    cast(reason as {{ dbt.type_string() }}) as reason
from (
    select * from excluded_values
    union all
    select * from rejected_returns
    union all
    select * from not_evaluated
) as annex
