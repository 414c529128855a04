-- Regional GDP (nama_10r_2gdp) in each published unit.
-- One row per geo x unit x year.
with source as (
    select * from raw.nama_10r_2gdp
),

final as (
    select
        geo::varchar as geo_code,
        length(geo) - 2 as nuts_level,
        unit::varchar as unit,
        cast(year as smallint) as year,
        value,
        flags,
        dataset,
        extract_sha256,
        load_run_id,
    from source
    where freq = 'A'
        and year between getvariable('first_year') and getvariable('last_year')
)

select * from final
