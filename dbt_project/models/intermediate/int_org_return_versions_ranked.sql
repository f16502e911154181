-- Read by the plausibility rules (Python) between the two dbt builds: on Spark, Parquet that is handed
-- to the working DuckDB (macros/spark_location.sql).
{{ config(file_format='parquet', location_root=spark_location('intermediate')) }}
-- Accepted organisational-return versions, ranked within (cycle, organisation).
-- The current version is the latest submitted_at, then the highest archive_seq (the one
-- archived later); earlier versions are history (superseded). A workbook is one version
-- whatever number of copies of it arrived (copies share the hash).
with versions as (
    select
        file_hash,
        cycle_year,
        org_code,
        max(submitted_at) as submitted_at,
        min(archive_seq) as archive_seq,
        min(landing_path) as landing_path
    from {{ ref('stg_validated__org_return_versions') }}
    group by file_hash, cycle_year, org_code
),

ranked as (
    select
        file_hash,
        cycle_year,
        org_code,
        submitted_at,
        archive_seq,
        landing_path,
        row_number() over (
            partition by cycle_year, org_code
            order by submitted_at desc nulls last, archive_seq desc nulls last, file_hash desc nulls last
        ) as version_rank
    from versions
)

select
    file_hash,
    cycle_year,
    org_code,
    submitted_at,
    archive_seq,
    landing_path,
    version_rank,
    version_rank = 1 as is_current
from ranked
