-- The current interventions: every version received (typed at ingestion) that the last validation
-- covered, less the rows it left out (quarantined) and, for an intervention received more than
-- once, every version but the one it chose. A row ingested by a run that stopped before validating
-- it is not current (archive_seq after the covered one).
with versions as (
    select * from {{ source('incidents_raw', 'incident_rows') }}
),

selection as (
    select * from {{ source('incidents', 'incident_selection') }}
),

left_out as (
    select file_hash, row_number from selection where kind = 'left_out'
),

chosen as (
    select provider_code, incident_id, intervention_seq, versions, file_hash, row_number
    from selection
    where kind = 'chosen'
),

current_versions as (
    select
        versions.*,
        coalesce(chosen.versions, 1) as version_count
    from versions
    left join left_out
        on versions.file_hash = left_out.file_hash
        and versions.row_number = left_out.row_number
    left join chosen
        on versions.provider_code = chosen.provider_code
        and versions.incident_id = chosen.incident_id
        and versions.intervention_seq = chosen.intervention_seq
    where versions.archive_seq <= (select max(archive_seq) from selection where kind = 'covered')
        and left_out.file_hash is null
        and (chosen.file_hash is null
            or (chosen.file_hash = versions.file_hash and chosen.row_number = versions.row_number))
)

select
    upper(trim(provider_code)) as provider_code,
    incident_id,
    cast(intervention_seq as {{ dbt.type_int() }}) as intervention_seq,
    person_key,
    month,
    cast(substr(month, 1, 4) as {{ dbt.type_int() }}) * 12 + cast(substr(month, 6, 2) as {{ dbt.type_int() }}) as month_number,
    cast(substr(month, 1, 4) as {{ dbt.type_int() }})
        + case when cast(substr(month, 6, 2) as {{ dbt.type_int() }}) >= 4 then 1 else 0 end as cycle_year,
    start_at,
    end_at,
    record_updated_at,
    duration_minutes,
    intervention_type,
    reason,
    authority,
    in_care_plan,
    post_incident_support,
    post_incident_review,
    cast(version_count as {{ dbt.type_int() }}) as versions
from current_versions
