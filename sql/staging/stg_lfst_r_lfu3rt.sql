-- Unemployment rate, age 15-74, all education levels, both sexes (lfst_r_lfu3rt), % of the labour force; a file
-- without an isced11 or sex dimension was read as TOTAL / T when loaded (registry `totals`).
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code, length(geo) - 2 as nuts_level, cast(year as smallint) as year,
    value as unemployment_rate,
    flags, dataset, extract_sha256, load_run_id,
from raw.lfst_r_lfu3rt
where freq = 'A' and isced11 = 'TOTAL' and sex = 'T' and age = 'Y15-74' and unit = 'PC'
    and geo::varchar not in (select geo_code from ref.geo_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
