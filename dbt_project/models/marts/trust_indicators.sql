-- Every trust's own figure for every indicator that applies to it (exact, for the analysts),
-- beside its peer group (register provider_type x org_type) and the national figure.
--   value / value_unrounded  the trust's figure (int_trust_indicator_values), rounded half-up
--                            to one decimal where it has a numerator and denominator
--   publishable              may appear in a file beyond the analysts: survey figures need
--                            >= 10 valid responses; organisational-return figures always
--                            (the disclosure function still applies to counts in files)
--   peer_*                   over the publishable figures of the trusts of the peer group
--                            (the trust included); shown only when at least 8 peers besides
--                            the trust have a figure, else empty
--   quartile_position        1 (lowest quarter of the peer group's figures) .. 4 (highest)
--   change                   trust's unrounded figure minus its previous cycle's, in the
--                            indicator's unit (empty when either is missing)
{%- set min_peers = 8 %}
{%- set min_valid_responses = 10 %}
with values_now as (
    select * from {{ ref('int_trust_indicator_values') }}
),

presentation as (
    select * from {{ ref('stg_catalogue__indicator_presentation') }}
),

organisations as (
    select * from {{ ref('int_organisations_registered') }}
),

cycles as (
    select cycle_year, previous_cycle_year from {{ ref('int_cycles_collected') }}
),

trusts as (
    select
        values_now.*,
        coalesce(organisations.provider_type, 'unknown') as provider_type,
        coalesce(organisations.org_type, 'unknown') as org_type,
        organisations.org_name,
        values_now.value is not null
            and (values_now.source in ('org_return', 'org_return_activity')
                 or coalesce(values_now.valid_responses, 0) >= {{ min_valid_responses }}) as publishable
    from values_now
    left join organisations
        on values_now.org_code = organisations.org_code
),

peer_groups as (
    select
        cycle_year,
        indicator_id,
        provider_type,
        org_type,
        count(*) as group_trusts,
        percentile_cont(0.25) within group (order by value nulls last) as peer_q1,
        percentile_cont(0.5) within group (order by value nulls last) as peer_median,
        percentile_cont(0.75) within group (order by value nulls last) as peer_q3,
        avg(value) as peer_mean
    from trusts
    where publishable
    group by cycle_year, indicator_id, provider_type, org_type
),

with_peers as (
    select
        trusts.*,
        coalesce(peer_groups.group_trusts, 0)
            - case when trusts.publishable then 1 else 0 end as peer_trusts,
        peer_groups.peer_q1,
        peer_groups.peer_median,
        peer_groups.peer_q3,
        peer_groups.peer_mean
    from trusts
    left join peer_groups
        on trusts.cycle_year = peer_groups.cycle_year
        and trusts.indicator_id = peer_groups.indicator_id
        and trusts.provider_type = peer_groups.provider_type
        and trusts.org_type = peer_groups.org_type
),

with_previous as (
    select
        with_peers.*,
        cycles.previous_cycle_year,
        previous_values.value as previous_value
    from with_peers
    inner join cycles
        on with_peers.cycle_year = cycles.cycle_year
    left join values_now as previous_values
        on previous_values.cycle_year = cycles.previous_cycle_year
        and previous_values.indicator_id = with_peers.indicator_id
        and previous_values.org_code = with_peers.org_code
),

national as (
    select cycle_year, indicator_id, value from {{ ref('national_indicators') }}
),

final as (
    select
        with_previous.*,
        with_previous.peer_trusts >= {{ min_peers }} as peer_stats_shown,
        presentation.standard,
        presentation.measure,
        presentation.population,
        presentation.kind,
        presentation.unit,
        presentation.higher_is_better,
        case presentation.unit when 'percent' then 100 when 'per_1000' then 1000 else 1 end as unit_factor,
        national.value as national_value
    from with_previous
    inner join presentation
        on with_previous.indicator_id = presentation.indicator_id
    left join national
        on with_previous.cycle_year = national.cycle_year
        and with_previous.indicator_id = national.indicator_id
)

select
    cast(cycle_year as {{ dbt.type_int() }}) as cycle_year,
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(org_name as {{ dbt.type_string() }}) as org_name,
    cast(provider_type as {{ dbt.type_string() }}) as provider_type,
    cast(org_type as {{ dbt.type_string() }}) as org_type,
    cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(standard as {{ dbt.type_int() }}) as standard,
    cast(measure as {{ dbt.type_string() }}) as measure,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(population as {{ dbt.type_string() }}) as population,
    cast(kind as {{ dbt.type_string() }}) as kind,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(numerator as decimal(18, 4)) as numerator,
    cast(denominator as decimal(18, 4)) as denominator,
    cast(
        case
            when value is null then null
            when numerator is not null and denominator is not null
                then {{ round_half_up('numerator', 'denominator', 'unit_factor') }}
            else {{ round_statistic('value') }}
        end as decimal(12, 1)) as value,
    cast(value as double) as value_unrounded,
    cast(valid_responses as {{ dbt.type_int() }}) as valid_responses,
    publishable,
    cast(peer_trusts as {{ dbt.type_int() }}) as peer_trusts,
    cast(case when peer_stats_shown then {{ round_statistic('peer_q1') }} end as decimal(12, 1)) as peer_q1,
    cast(case when peer_stats_shown then {{ round_statistic('peer_median') }} end as decimal(12, 1)) as peer_median,
    cast(case when peer_stats_shown then {{ round_statistic('peer_q3') }} end as decimal(12, 1)) as peer_q3,
    cast(case when peer_stats_shown then {{ round_statistic('peer_mean') }} end as decimal(12, 1)) as peer_mean,
    cast(
        case
            when not peer_stats_shown or not publishable then null
            when value <= peer_q1 then 1
            when value <= peer_median then 2
            when value <= peer_q3 then 3
            else 4
        end as {{ dbt.type_int() }}) as quartile_position,
    higher_is_better,
    cast(national_value as decimal(12, 1)) as national_value,
    cast(previous_cycle_year as {{ dbt.type_int() }}) as previous_cycle_year,
    cast({{ round_statistic('previous_value') }} as decimal(12, 1)) as previous_value,
    cast({{ round_statistic('value - previous_value') }} as decimal(12, 1)) as change
from final
