-- Labour-force-survey employment by NACE section (lfst_r_lfe2en2), thousand persons, both sexes, age 15+.
-- One row per geo x NACE section x year.
with source as (
    select * from raw.lfst_r_lfe2en2
),

final as (
    select
        geo::varchar as geo_code,
        length(geo) - 2 as nuts_level,
        nace_r2::varchar as nace_code,
        cast(year as smallint) as year,
        value as employment_ths,
        flags,
        is_confidential,
        dataset,
        extract_sha256,
        load_run_id,
    from source
    where freq = 'A' and unit = 'THS_PER' and sex = 'T' and age = 'Y_GE15'
        and year between getvariable('first_year') and getvariable('last_year')
)

select * from final
