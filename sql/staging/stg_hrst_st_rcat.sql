-- Human resources in science and technology (hrst_st_rcat, category HRST), % of the active population.
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code, length(geo) - 2 as nuts_level, cast(year as smallint) as year,
    value as hrst_pc_active,
    flags, dataset, extract_sha256, load_run_id,
from raw.hrst_st_rcat
where freq = 'A' and category = 'HRST' and unit = 'PC_ACT'
    and geo::varchar not in (select geo_code from ref.geo_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
