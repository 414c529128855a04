-- R&D personnel of the business enterprise sector (rd_p_persreg, all professional positions, both sexes),
-- % of the active population in full-time equivalents.
-- The EU aggregates of setting scoreboard.eu_aggregates (config.eu_aggregates: EU27_2020, EU28) are staged
-- with no NUTS level, as the scoreboard's EU = 100; other European aggregates (EA19, ...:
-- ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code,
    if(geo::varchar in (select geo_code from config.eu_aggregates), null, length(geo) - 2) as nuts_level,
    cast(year as smallint) as year,
    value as rd_personnel_pc_active,
    flags, dataset, extract_sha256, load_run_id,
from raw.rd_p_persreg
where freq = 'A' and prof_pos = 'TOTAL' and sectperf = 'BES' and sex = 'T' and unit = 'PC_ACT_FTE'
    and geo::varchar not in (select geo_code from ref.geo_aggregates except select geo_code from config.eu_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
