-- Households with broadband access (isoc_r_broad_h), % of households.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code, length(geo) - 2 as nuts_level, cast(year as smallint) as year,
    value as households_pc,
    flags, dataset, extract_sha256, load_run_id,
from raw.isoc_r_broad_h
where freq = 'A' and unit = 'PC_HH'
    and geo::varchar not in (select geo_code from ref.geo_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
