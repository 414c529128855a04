-- Employment in high and medium-high technology manufacturing (C_HTC_MH) and in knowledge-intensive services
-- (KIS) (htec_emp_reg2), % of total employment, both sexes.
-- The EU aggregates of setting scoreboard.eu_aggregates (config.eu_aggregates: EU27_2020, EU28) are staged
-- with no NUTS level, as the scoreboard's EU = 100; other European aggregates (EA19, ...:
-- ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x sector (C_HTC_MH, KIS) x year.
select
    geo::varchar as geo_code,
    if(geo::varchar in (select geo_code from config.eu_aggregates), null, length(geo) - 2) as nuts_level,
    cast(year as smallint) as year,
    nace_r2::varchar as sector_code,
    value as employment_pc,
    flags, dataset, extract_sha256, load_run_id,
from raw.htec_emp_reg2
where freq = 'A' and unit = 'PC_EMP' and sex = 'T' and nace_r2 in ('C_HTC_MH', 'KIS')
    and geo::varchar not in (select geo_code from ref.geo_aggregates except select geo_code from config.eu_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
