{{ config(tags=['flag_loop']) }}
-- depends_on: {{ source('validated', 'plausibility_flags') }}
-- (built after the plausibility asset, whose flags stg_validated__flags reads)
-- One row per flag_id with the values of its latest occurrence and its status.
--
-- Where a flag was raised (the flags dataset holds every flag raised on every version):
--   * on an accepted version of the organisational return (file_hash, cycle_year match
--     org_return_versions): the flag is OPEN if one of its occurrences is on the CURRENT
--     version, otherwise RESOLVED_BY_RESUBMISSION (the later version no longer has it).
--   * a file-level flag (rule applies_to = 'file') on a rejected workbook: OPEN until the
--     organisation has an accepted return submitted after it, then RESOLVED_BY_RESUBMISSION.
--     "After" compares the Cover's Submitted at (files that arrive in one batch have no other
--     meaningful order); when the rejected file's Submitted at cannot be read, archive order.
--     An unreadable file with no organisation stays OPEN.
--   * anything else (survey, incident, flags not tied to a version): OPEN.
-- CONFIRMED_BY_TRUST: a non-error flag that would otherwise be open and that the trust
-- confirmed for the value now submitted (int_flag_responses_confirmed, empty until the flag-response issue).
-- Errors cannot be confirmed away.
--
-- Values shown (org_code, item_id, submitted_value, expected, message) are those of the
-- latest occurrence: the current version first, then the latest submitted_at, then the
-- highest archive_seq.
with flags as (
    select
        flags.flag_id,
        flags.cycle_year,
        flags.org_code,
        flags.rule_id,
        coalesce(rules.severity, flags.severity) as severity,
        coalesce(rules.applies_to = 'file', false) as is_file_level,
        flags.item_id,
        flags.file_hash,
        flags.submitted_value,
        flags.expected,
        flags.message
    from {{ ref('stg_validated__flags') }} as flags
    left join {{ ref('stg_catalogue__validation_rules') }} as rules
        on flags.rule_id = rules.rule_id
    where flags.flag_id is not null
),

versions as (
    select * from {{ ref('int_org_return_versions_ranked') }}
),

workbooks as (
    select file_hash, cycle_year, min(archive_seq) as archive_seq, max(submitted_at) as submitted_at
    from {{ ref('stg_raw__org_return_files') }}
    group by file_hash, cycle_year
),

last_accepted as (
    select
        cycle_year,
        org_code,
        max(archive_seq) as archive_seq,
        max(submitted_at) as submitted_at,
        count(*) as accepted_versions
    from versions
    group by cycle_year, org_code
),

occurrences as (
    select
        flags.*,
        versions.file_hash is not null as on_accepted_version,
        coalesce(versions.is_current, false) as on_current_version,
        versions.submitted_at as version_submitted_at,
        coalesce(versions.archive_seq, workbooks.archive_seq) as file_archive_seq,
        case
            when versions.file_hash is not null then false
            when not flags.is_file_level then false
            when last_accepted.accepted_versions is null then false
            when workbooks.submitted_at is not null then last_accepted.submitted_at > workbooks.submitted_at
            when workbooks.archive_seq is null or last_accepted.archive_seq is null then true
            else last_accepted.archive_seq > workbooks.archive_seq
        end as later_return_accepted
    from flags
    left join versions
        on flags.file_hash = versions.file_hash
        and flags.cycle_year = versions.cycle_year
    left join workbooks
        on flags.file_hash = workbooks.file_hash
        and flags.cycle_year = workbooks.cycle_year
    left join last_accepted
        on flags.cycle_year = last_accepted.cycle_year
        and flags.org_code = last_accepted.org_code
),

ranked as (
    select
        *,
        row_number() over (
            partition by flag_id
            order by
                case when on_current_version then 1 else 0 end desc nulls last,
                version_submitted_at desc nulls last,
                file_archive_seq desc nulls last,
                file_hash desc nulls last
        ) as occurrence_rank
    from occurrences
),

per_flag as (
    select
        flag_id,
        max(case when on_current_version then 1 else 0 end) = 1 as raised_on_current_version,
        max(case when on_accepted_version then 1 else 0 end) = 1 as raised_on_accepted_version,
        max(case when later_return_accepted then 1 else 0 end) = 1 as later_return_accepted,
        count(*) as occurrences
    from occurrences
    group by flag_id
),

latest as (
    select * from ranked where occurrence_rank = 1
),

confirmations as (
    select flag_id, confirmed_value
    from {{ ref('int_flag_responses_confirmed') }}
),

statused as (
    select
        latest.*,
        per_flag.raised_on_current_version,
        per_flag.occurrences,
        case
            when per_flag.raised_on_current_version then 'open'
            when per_flag.raised_on_accepted_version then 'resolved_by_resubmission'
            when per_flag.later_return_accepted then 'resolved_by_resubmission'
            else 'open'
        end as status_before_confirmation
    from latest
    inner join per_flag
        on latest.flag_id = per_flag.flag_id
)

select
    statused.cycle_year,
    statused.org_code,
    statused.flag_id,
    statused.rule_id,
    statused.severity,
    statused.item_id,
    case
        when statused.status_before_confirmation = 'open'
            and statused.severity <> 'error'
            and confirmations.flag_id is not null
            and (
                confirmations.confirmed_value = statused.submitted_value
                or (confirmations.confirmed_value is null and statused.submitted_value is null)
            )
            then 'confirmed_by_trust'
        else statused.status_before_confirmation
    end as status,
    statused.submitted_value,
    statused.expected,
    statused.message,
    statused.file_hash,
    statused.raised_on_current_version,
    statused.occurrences
from statused
left join confirmations
    on statused.flag_id = confirmations.flag_id
