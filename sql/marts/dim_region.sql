-- NUTS regions with names, level, parent and country (code and name): every code of the target NUTS version
-- (setting nuts_target_version), plus codes of the other shipped versions (2006, 2010, 2013, 2016, 2021,
-- 2024) that it does not have (a region left unbridged keeps such a code), each with its newest version.
-- The EU countries, and the UK and the EFTA and candidate countries where the version's list has them.
-- scoreboard_region_code: the unit the ecosystem scoreboard scores the region as (a NUTS-2 region itself,
-- or its NUTS-1 region in the countries of scoreboard.nuts1_countries).
-- One row per NUTS code.
with source as (
    select * from ref.nuts_regions
),

ranked as (
    select
        *,
        nuts_version = getvariable('nuts_target_version') as is_in_target_version,
    from source
    qualify row_number() over (
        partition by nuts_code
        order by nuts_version = getvariable('nuts_target_version') desc, nuts_version desc
    ) = 1
),

final as (
    select
        ranked.nuts_code as region_code,
        ranked.nuts_name as region_name,
        ranked.nuts_level,
        ranked.country_code,
        countries.nuts_name as country_name,
        ranked.parent_code,
        ranked.is_extra_regio,
        ranked.nuts_version,
        ranked.is_in_target_version,
        case
            when ranked.nuts_level = 2
                and list_contains(getvariable('scoreboard_nuts1_countries'), ranked.country_code)
                then ranked.parent_code
            when ranked.nuts_level = 2 then ranked.nuts_code
            when ranked.nuts_level = 1
                and list_contains(getvariable('scoreboard_nuts1_countries'), ranked.country_code)
                then ranked.nuts_code
        end as scoreboard_region_code,
    from ranked
    left join ranked as countries
        on countries.nuts_code = ranked.country_code and countries.nuts_level = 0
)

select * from final
