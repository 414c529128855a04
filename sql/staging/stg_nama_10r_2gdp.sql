-- Regional GDP (nama_10r_2gdp) in each published unit; a unit under an older name is read under today's
-- (ref.code_aliases, e.g. PPS_HAB -> PPS_EU27_2020_HAB), the published code kept in `published_unit`.
-- The EU aggregates of setting scoreboard.eu_aggregates (config.eu_aggregates: EU27_2020, EU28) are staged
-- with no NUTS level, as the scoreboard's EU = 100; other European aggregates (EA19, ...:
-- ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x unit x year.
with source as (
    select * from raw.nama_10r_2gdp
),

aliases as (
    select code, canonical_code from ref.code_aliases
    where dataset = 'nama_10r_2gdp' and dimension = 'unit'
),

renamed as (
    select
        source.geo::varchar as geo_code,
        if(source.geo::varchar in (select geo_code from config.eu_aggregates), null, length(source.geo) - 2) as nuts_level,
        coalesce(aliases.canonical_code, source.unit::varchar) as unit,
        source.unit::varchar as published_unit,
        cast(source.year as smallint) as year,
        source.value,
        source.flags,
        source.dataset,
        source.extract_sha256,
        source.load_run_id,
    from source
    left join aliases on aliases.code = source.unit::varchar
    where source.freq = 'A'
        and source.geo::varchar not in (select geo_code from ref.geo_aggregates except select geo_code from config.eu_aggregates)
        and source.year between getvariable('first_year') and getvariable('last_year')
),

-- A file that holds a unit under both names keeps the one published under today's.
final as (
    select * from renamed
    qualify row_number() over (
        partition by geo_code, unit, year order by published_unit = unit desc
    ) = 1
)

select * from final
