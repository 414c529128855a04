-- Regional gross fixed capital formation (nama_10r_2gfcf), all activities, million EUR.
-- The EU aggregates of setting scoreboard.eu_aggregates (config.eu_aggregates: EU27_2020, EU28) are staged
-- with no NUTS level, as the scoreboard's EU = 100; other European aggregates (EA19, ...:
-- ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
with source as (
    select * from raw.nama_10r_2gfcf
),

final as (
    select
        geo::varchar as geo_code,
        if(geo::varchar in (select geo_code from config.eu_aggregates), null, length(geo) - 2) as nuts_level,
        cast(year as smallint) as year,
        value as gfcf_meur,
        flags,
        dataset,
        extract_sha256,
        load_run_id,
    from source
    where freq = 'A' and currency = 'MIO_EUR' and nace_r2 = 'TOTAL'
        and geo::varchar not in (select geo_code from ref.geo_aggregates except select geo_code from config.eu_aggregates)
        and year between getvariable('first_year') and getvariable('last_year')
)

select * from final
