-- Labour-force-survey employment by NACE section (lfst_r_lfe2en2), thousand persons, both sexes, age 15+.
-- The unit is read under its older name too (ref.code_aliases: THS -> THS_PER); a file without a sex
-- dimension was read as sex = T when loaded (registry `totals`).
-- The EU aggregates of setting scoreboard.eu_aggregates (config.eu_aggregates: EU27_2020, EU28) are staged
-- with no NUTS level, as the scoreboard's EU = 100; other European aggregates (EA19, ...:
-- ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x NACE section x year.
with source as (
    select * from raw.lfst_r_lfe2en2
),

aliases as (
    select code, canonical_code from ref.code_aliases
    where dataset = 'lfst_r_lfe2en2' and dimension = 'unit'
),

selected as (
    select
        source.*,
        coalesce(aliases.canonical_code, source.unit::varchar) as canonical_unit,
    from source
    left join aliases on aliases.code = source.unit::varchar
    where source.freq = 'A'
        and source.geo::varchar not in (select geo_code from ref.geo_aggregates except select geo_code from config.eu_aggregates)
        and source.sex = 'T' and source.age = 'Y_GE15'
        and source.year between getvariable('first_year') and getvariable('last_year')
),

final as (
    select
        geo::varchar as geo_code,
        if(geo::varchar in (select geo_code from config.eu_aggregates), null, length(geo) - 2) as nuts_level,
        nace_r2::varchar as nace_code,
        cast(year as smallint) as year,
        value as employment_ths,
        flags,
        is_confidential,
        dataset,
        extract_sha256,
        load_run_id,
    from selected
    where canonical_unit = 'THS_PER'
    -- a file that holds the unit under both names keeps the one published under today's
    qualify row_number() over (
        partition by geo, nace_r2, year order by unit::varchar = 'THS_PER' desc
    ) = 1
)

select * from final
