-- The organisations of the current register (the file in the landing zone now): the register is
-- the only source of organisations for a run. Ingest writes it whole, unique by org_code.
select
    org_code,
    org_name,
    provider_type,
    org_type,
    region,
    file_hash as register_file_hash
from {{ ref('stg_validated__register_organisations') }}
where org_code is not null
