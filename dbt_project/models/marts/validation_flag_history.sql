{{ config(tags=['flag_loop']) }}
-- The history of every flag: each version of the return it was raised on (with the value then),
-- and each answer the trust sent. validation_flags gives the status now; this gives how it got there.
with raised as (
    select
        flags.flag_id,
        flags.cycle_year,
        flags.org_code,
        flags.rule_id,
        'raised' as event,
        versions.submitted_at as event_at,
        coalesce(versions.archive_seq, files.archive_seq) as event_seq,
        flags.file_hash,
        flags.submitted_value as detail
    from {{ ref('stg_validated__flags') }} as flags
    left join {{ ref('int_org_return_versions_ranked') }} as versions
        on flags.file_hash = versions.file_hash
        and flags.cycle_year = versions.cycle_year
    left join (
        select file_hash, cycle_year, min(archive_seq) as archive_seq
        from {{ ref('stg_raw__org_return_files') }}
        group by file_hash, cycle_year
    ) as files
        on flags.file_hash = files.file_hash
        and flags.cycle_year = files.cycle_year
    where flags.flag_id is not null
),

answered as (
    select
        answers.flag_id,
        known.cycle_year,
        known.org_code,
        known.rule_id,
        {{ dbt.concat(["'response: '", "coalesce(answers.response, answers.response_raw, '')"]) }} as event,
        answers.archived_at as event_at,
        answers.archive_seq as event_seq,
        answers.file_hash,
        answers.explanation as detail
    from {{ ref('stg_raw__flag_responses') }} as answers
    inner join (
        select distinct flag_id, cycle_year, org_code, rule_id
        from {{ ref('stg_validated__flags') }}
    ) as known
        on answers.flag_id = known.flag_id
    where answers.problem is null
)

select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(flag_id as {{ dbt.type_string() }}) as flag_id,
    cast(rule_id as {{ dbt.type_string() }}) as rule_id,
    cast(event as {{ dbt.type_string() }}) as event,
    event_at,
    cast(event_seq as {{ dbt.type_bigint() }}) as event_seq,
    cast(file_hash as {{ dbt.type_string() }}) as file_hash,
    cast(detail as {{ dbt.type_string() }}) as detail
from (
    select * from raised
    union all
    select * from answered
) as events
