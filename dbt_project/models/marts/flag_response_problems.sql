{{ config(tags=['flag_loop']) }}
-- What could not be used in the trusts' returned flag reports, so the collection team can tell
-- the trust: files that could not be read, rows without a valid response, flag ids that match no
-- flag, and confirmations of errors (an error is only cleared by a corrected resubmission).
with answers as (
    select * from {{ ref('stg_raw__flag_responses') }}
),

flags as (
    select distinct flags.flag_id, coalesce(rules.severity, flags.severity) as severity
    from {{ ref('stg_validated__flags') }} as flags
    left join {{ ref('stg_catalogue__validation_rules') }} as rules
        on flags.rule_id = rules.rule_id
)

select
    cast(answers.cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(answers.landing_path as {{ dbt.type_string() }}) as landing_path,
    cast(answers.row_number as {{ dbt.type_int() }}) as row_number,
    cast(answers.flag_id as {{ dbt.type_string() }}) as flag_id,
    cast(answers.response_raw as {{ dbt.type_string() }}) as response_raw,
    cast(case
        when answers.problem is not null then answers.problem
        when flags.flag_id is null then 'unknown flag id: no flag of this cycle has it'
        when answers.response = 'Confirmed' and flags.severity = 'error'
            then 'an error cannot be confirmed: please correct the value and resubmit the return'
    end as {{ dbt.type_string() }}) as problem
from answers
left join flags
    on answers.flag_id = flags.flag_id
where answers.problem is not null
    or flags.flag_id is null
    or (answers.response = 'Confirmed' and flags.severity = 'error')
