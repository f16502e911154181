-- One row per (cycle, organisation, item) answered on the organisational return's CURRENT
-- version, with the value an aggregate may use:
--   * only rows where the item applies to the trust and its follow-on is live
--     (parent answered a valid Yes, or no parent); answers elsewhere are ignored (R03/R04);
--   * yes_no items -> 'Yes' / 'No'; count / wte / hours -> a number (thousands separators
--     removed); 'not applicable' and anything unparseable -> no value;
--   * an item carrying an ERROR flag raised on the current version (cycle, org, item and
--     file_hash match; severity from the validation_rules seed) has no usable value.
--     Warnings and info flags do not exclude; errors raised only on superseded versions
--     do not either (the resubmission is what counts).
with current_versions as (
    select file_hash, cycle_year, org_code
    from {{ ref('int_org_return_versions_ranked') }}
    where is_current
),

current_items as (
    select
        items.cycle_year,
        items.org_code,
        items.file_hash,
        items.item_id,
        items.response_type,
        items.response_norm
    from {{ ref('stg_validated__org_return_items') }} as items
    inner join current_versions
        on items.file_hash = current_versions.file_hash
        and items.cycle_year = current_versions.cycle_year
        and items.org_code = current_versions.org_code
    where items.applies and items.follow_on_live
),

-- Identical duplicate rows are one answer; differing duplicates carry R02 and, defensively,
-- are unusable here even if the flag were missing.
collapsed as (
    select
        cycle_year,
        org_code,
        file_hash,
        item_id,
        max(response_type) as response_type,
        min(response_norm) as response_norm,
        count(distinct response_norm) as distinct_responses
    from current_items
    group by cycle_year, org_code, file_hash, item_id
),

error_flags as (
    select distinct
        flags.cycle_year,
        flags.org_code,
        flags.file_hash,
        flags.item_id
    from {{ ref('stg_validated__flags') }} as flags
    left join {{ ref('stg_catalogue__validation_rules') }} as rules
        on flags.rule_id = rules.rule_id
    where coalesce(rules.severity, flags.severity) = 'error'
        and flags.item_id is not null
        and flags.file_hash is not null
),

parsed as (
    select
        collapsed.cycle_year,
        collapsed.org_code,
        collapsed.file_hash,
        collapsed.item_id,
        collapsed.response_type,
        collapsed.response_norm,
        collapsed.distinct_responses,
        error_flags.item_id is not null as has_error_flag,
        case
            when collapsed.response_type = 'yes_no' and collapsed.response_norm = 'yes' then 'Yes'
            when collapsed.response_type = 'yes_no' and collapsed.response_norm = 'no' then 'No'
        end as yes_no_value,
        case
            when collapsed.response_type in ('count', 'wte', 'hours')
                then try_cast(replace(collapsed.response_norm, ',', '') as decimal(18, 4))
        end as number_value
    from collapsed
    left join error_flags
        on collapsed.cycle_year = error_flags.cycle_year
        and collapsed.org_code = error_flags.org_code
        and collapsed.file_hash = error_flags.file_hash
        and collapsed.item_id = error_flags.item_id
),

screened as (
    select
        *,
        not has_error_flag
            and distinct_responses = 1
            and (yes_no_value is not null or (number_value is not null and number_value >= 0))
            as is_usable
    from parsed
)

select
    cycle_year,
    org_code,
    file_hash,
    item_id,
    response_type,
    response_norm,
    has_error_flag,
    is_usable,
    case when is_usable then yes_no_value end as yes_no_value,
    case when is_usable then number_value end as numeric_value,
    case
        when not is_usable then null
        when yes_no_value is not null then yes_no_value
        else cast(number_value as {{ dbt.type_string() }})
    end as value_text
from screened
