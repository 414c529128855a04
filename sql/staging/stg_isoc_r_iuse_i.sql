-- Individuals who used the internet daily (isoc_r_iuse_i, I_IDAY), % of individuals.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code, length(geo) - 2 as nuts_level, cast(year as smallint) as year,
    value as individuals_pc,
    flags, dataset, extract_sha256, load_run_id,
from raw.isoc_r_iuse_i
where freq = 'A' and indic_is = 'I_IDAY' and unit = 'PC_IND'
    and geo::varchar not in (select geo_code from ref.geo_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
