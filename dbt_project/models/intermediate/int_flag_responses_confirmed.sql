{{ config(tags=['flag_loop']) }}
-- Trusts' confirmations of their flags (<cycle>/flag_responses/*, response 'Confirmed').
-- One row per confirmed flag_id with the submitted value the trust confirmed: a confirmation holds
-- only for that value (int_validation_flags_resolved compares it with the value now submitted, so a
-- resubmission that changes the value reopens the flag).
--   * the trust's LATEST usable answer to the flag counts (a later 'Will resubmit' withdraws an
--     earlier 'Confirmed'); rows with a problem and unknown flag ids never count
--     (flag_response_problems lists them);
--   * the value confirmed is the flag's submitted value on the latest version the trust had sent
--     before the answer arrived (archive order), i.e. the value its report showed;
--   * errors cannot be confirmed away (also enforced in int_validation_flags_resolved).
with answers as (
    select
        flag_id,
        response,
        archive_seq,
        archived_at,
        row_number() over (
            partition by flag_id
            order by archive_seq desc nulls last, row_number desc nulls last
        ) as answer_rank
    from {{ ref('stg_raw__flag_responses') }}
    where problem is null
        and flag_id is not null
),

occurrences as (
    select
        flags.flag_id,
        flags.submitted_value,
        coalesce(rules.severity, flags.severity) as severity,
        versions.archive_seq as version_seq
    from {{ ref('stg_validated__flags') }} as flags
    left join {{ ref('stg_catalogue__validation_rules') }} as rules
        on flags.rule_id = rules.rule_id
    left join {{ ref('int_org_return_versions_ranked') }} as versions
        on flags.file_hash = versions.file_hash
        and flags.cycle_year = versions.cycle_year
),

seen as (
    select
        answers.flag_id,
        answers.response,
        answers.archived_at,
        occurrences.submitted_value,
        occurrences.severity,
        row_number() over (
            partition by answers.flag_id
            order by occurrences.version_seq desc nulls last
        ) as seen_rank
    from answers
    inner join occurrences
        on answers.flag_id = occurrences.flag_id
        and (occurrences.version_seq is null or occurrences.version_seq < answers.archive_seq)
    where answers.answer_rank = 1
)

select
    flag_id,
    submitted_value as confirmed_value,
    archived_at as confirmed_at
from seen
where seen_rank = 1
    and response = 'Confirmed'
    and severity <> 'error'
