-- The current interventions: every version received (typed at ingestion) that validation did not
-- quarantine and, for an intervention received more than once, the version it chose.
with versions as (
    select * from {{ source('incidents_raw', 'incident_rows') }}
),

quarantined as (
    select file_hash, row_number from {{ source('incidents', 'incident_quarantine') }}
),

amendments as (
    select * from {{ source('incidents', 'incident_amendments') }}
),

current_versions as (
    select
        versions.*,
        coalesce(amendments.versions, 1) as version_count
    from versions
    left join quarantined
        on versions.file_hash = quarantined.file_hash
        and versions.row_number = quarantined.row_number
    left join amendments
        on versions.provider_code = amendments.provider_code
        and versions.incident_id = amendments.incident_id
        and versions.intervention_seq = amendments.intervention_seq
    where quarantined.file_hash is null
        and (amendments.file_hash is null
            or (amendments.file_hash = versions.file_hash and amendments.row_number = versions.row_number))
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
