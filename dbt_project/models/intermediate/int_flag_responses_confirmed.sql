-- HOOK for the flag-response issue: trusts' confirmations of their flags
-- (<cycle>/flag_responses/*, response 'Confirmed'). One row per confirmed flag_id with the
-- submitted value the trust confirmed (a confirmation holds only for that value).
-- Until the raw dataset of flag responses exists this model has no rows; replace the body
-- with a select over stg_raw__flag_responses keeping the same three columns.
-- int_validation_flags_resolved already turns a matching confirmation of a non-error flag
-- raised on the current version into status 'confirmed_by_trust'.
select
    cast(null as {{ dbt.type_string() }}) as flag_id,
    cast(null as {{ dbt.type_string() }}) as confirmed_value,
    cast(null as {{ dbt.type_timestamp() }}) as confirmed_at
where 1 = 0
