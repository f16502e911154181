-- Read by the plausibility rules (Python) between the two dbt builds: on Spark, Parquet that is handed
-- to the working DuckDB (macros/spark_location.sql).
{{ config(file_format='parquet', location_root=spark_location('intermediate')) }}
-- The frame the plausibility suite (expectations/plausibility.json, rules R06-R09) validates:
-- one row per current-return value a rule looks at, with what the rule compares it with.
--   check_kind = 'peer_measure' (R06): a measure of plausibility_measures for the trust, and the
--     quartiles of the SAME measure among its peers (same cycle, provider_type and org_type),
--     computed WITHOUT the trust itself; peer_count is the number of such peers with a value.
--   check_kind = 'item' (R07-R09): a usable value of the current return with the trust's usable
--     value of the same item in the previous cycle (cycle_year - 1), if any.
-- Only usable values (int_org_return_values_screened.is_usable) are compared: a value carrying an
-- error is already flagged and excluded, and a second warning on it would only add noise.
with usable as (
    select cycle_year, org_code, file_hash, item_id, response_type, yes_no_value,
        cast(numeric_value as double) as numeric_value
    from {{ ref('int_org_return_values_screened') }}
    where is_usable
),

organisations as (
    select org_code, provider_type, org_type
    from {{ ref('int_organisations_registered') }}
),

measures as (
    select
        usable.cycle_year,
        usable.org_code,
        usable.file_hash,
        definitions.measure_id,
        definitions.item_id,
        usable.response_type,
        case
            when definitions.denominator_item is null then usable.numeric_value
            when denominators.numeric_value > 0
                then {{ divide_as_double('usable.numeric_value * definitions.scale', 'denominators.numeric_value') }}
        end as measure_value
    from {{ ref('plausibility_measures') }} as definitions
    inner join usable
        on usable.item_id = definitions.item_id
    left join usable as denominators
        on denominators.cycle_year = usable.cycle_year
        and denominators.org_code = usable.org_code
        and denominators.item_id = definitions.denominator_item
    where usable.numeric_value is not null
),

grouped as (
    select measures.*, organisations.provider_type, organisations.org_type
    from measures
    inner join organisations
        on measures.org_code = organisations.org_code
    where measures.measure_value is not null
),

peer_stats as (
    select
        trust.cycle_year,
        trust.org_code,
        trust.measure_id,
        count(peer.org_code) as peer_count,
        percentile_cont(0.25) within group (order by peer.measure_value nulls last) as peer_q1,
        percentile_cont(0.5) within group (order by peer.measure_value nulls last) as peer_median,
        percentile_cont(0.75) within group (order by peer.measure_value nulls last) as peer_q3
    from grouped as trust
    left join grouped as peer
        on peer.cycle_year = trust.cycle_year
        and peer.measure_id = trust.measure_id
        and peer.provider_type = trust.provider_type
        and peer.org_type = trust.org_type
        and peer.org_code <> trust.org_code
    group by trust.cycle_year, trust.org_code, trust.measure_id
),

peer_rows as (
    select
        'peer_measure' as check_kind,
        grouped.cycle_year,
        grouped.org_code,
        grouped.file_hash,
        grouped.item_id,
        grouped.measure_id,
        grouped.response_type,
        grouped.measure_value as value,
        cast(null as double) as previous_value,
        cast(null as {{ dbt.type_string() }}) as yes_no_value,
        cast(null as {{ dbt.type_string() }}) as previous_yes_no,
        peer_stats.peer_count,
        peer_stats.peer_q1,
        peer_stats.peer_median,
        peer_stats.peer_q3,
        peer_stats.peer_q3 - peer_stats.peer_q1 as peer_iqr,
        peer_stats.peer_q1 - 3 * (peer_stats.peer_q3 - peer_stats.peer_q1) as lower_fence,
        peer_stats.peer_q3 + 3 * (peer_stats.peer_q3 - peer_stats.peer_q1) as upper_fence,
        cast(null as double) as abs_change,
        cast(null as double) as change_tolerance
    from grouped
    inner join peer_stats
        on grouped.cycle_year = peer_stats.cycle_year
        and grouped.org_code = peer_stats.org_code
        and grouped.measure_id = peer_stats.measure_id
),

item_rows as (
    select
        'item' as check_kind,
        current_values.cycle_year,
        current_values.org_code,
        current_values.file_hash,
        current_values.item_id,
        cast(null as {{ dbt.type_string() }}) as measure_id,
        current_values.response_type,
        current_values.numeric_value as value,
        previous_values.numeric_value as previous_value,
        current_values.yes_no_value,
        previous_values.yes_no_value as previous_yes_no,
        cast(null as {{ dbt.type_bigint() }}) as peer_count,
        cast(null as double) as peer_q1,
        cast(null as double) as peer_median,
        cast(null as double) as peer_q3,
        cast(null as double) as peer_iqr,
        cast(null as double) as lower_fence,
        cast(null as double) as upper_fence,
        abs(current_values.numeric_value - previous_values.numeric_value) as abs_change,
        0.5 * previous_values.numeric_value as change_tolerance
    from usable as current_values
    left join usable as previous_values
        on previous_values.cycle_year = current_values.cycle_year - 1
        and previous_values.org_code = current_values.org_code
        and previous_values.item_id = current_values.item_id
)

select * from peer_rows
union all
select * from item_rows
