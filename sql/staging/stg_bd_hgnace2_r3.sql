-- Business demography and high-growth enterprises (bd_hgnace2_r3), business economy.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x NACE code x year x indicator.
with source as (
    select * from raw.bd_hgnace2_r3
),

final as (
    select
        geo::varchar as geo_code,
        length(geo) - 2 as nuts_level,
        nace_r2::varchar as nace_code,
        cast(year as smallint) as year,
        indic_sb::varchar as indicator_code,
        value,
        flags,
        dataset,
        extract_sha256,
        load_run_id,
    from source
    where freq = 'A'
        and geo::varchar not in (select geo_code from ref.geo_aggregates)
        and year between getvariable('first_year') and getvariable('last_year')
)

select * from final
