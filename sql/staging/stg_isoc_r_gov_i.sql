-- Individuals who used the internet to interact with public authorities (isoc_r_gov_i), % of individuals.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
with source as (
    select * from raw.isoc_r_gov_i
),

final as (
    select
        geo::varchar as geo_code,
        length(geo) - 2 as nuts_level,
        cast(year as smallint) as year,
        value as individuals_pc,
        flags,
        dataset,
        extract_sha256,
        load_run_id,
    from source
    where freq = 'A' and indic_is = 'I_IGOV12RT' and unit = 'PC_IND'
        and geo::varchar not in (select geo_code from ref.geo_aggregates)
        and year between getvariable('first_year') and getvariable('last_year')
)

select * from final
