-- Net disposable income of households (nama_10r_2hhinc, B6N balance), PPS per inhabitant.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code, length(geo) - 2 as nuts_level, cast(year as smallint) as year,
    value as income_pps_per_head,
    flags, dataset, extract_sha256, load_run_id,
from raw.nama_10r_2hhinc
where freq = 'A' and unit = 'PPS_EU27_2020_HAB' and direct = 'BAL' and na_item = 'B6N'
    and geo::varchar not in (select geo_code from ref.geo_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
