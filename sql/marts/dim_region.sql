-- NUTS 2021 regions of the EU-27 with names, level, parent and country.
-- One row per NUTS code.
with source as (
    select * from ref.nuts_2021
),

final as (
    select
        nuts_code as region_code,
        nuts_name as region_name,
        nuts_level,
        country_code,
        parent_code,
        is_extra_regio,
        nuts_version,
    from source
)

select * from final
