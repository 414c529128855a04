-- Regional gross fixed capital formation (nama_10r_2gfcf), all activities, million EUR.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
with source as (
    select * from raw.nama_10r_2gfcf
),

final as (
    select
        geo::varchar as geo_code,
        length(geo) - 2 as nuts_level,
        cast(year as smallint) as year,
        value as gfcf_meur,
        flags,
        dataset,
        extract_sha256,
        load_run_id,
    from source
    where freq = 'A' and currency = 'MIO_EUR' and nace_r2 = 'TOTAL'
        and geo::varchar not in (select geo_code from ref.geo_aggregates)
        and year between getvariable('first_year') and getvariable('last_year')
)

select * from final
