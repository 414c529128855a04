-- Individuals who used the internet daily (isoc_r_iuse_i, I_IDAY), % of individuals.
-- The EU aggregates of setting scoreboard.eu_aggregates (config.eu_aggregates: EU27_2020, EU28) are staged
-- with no NUTS level, as the scoreboard's EU = 100; other European aggregates (EA19, ...:
-- ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code,
    if(geo::varchar in (select geo_code from config.eu_aggregates), null, length(geo) - 2) as nuts_level,
    cast(year as smallint) as year,
    value as individuals_pc,
    flags, dataset, extract_sha256, load_run_id,
from raw.isoc_r_iuse_i
where freq = 'A' and indic_is = 'I_IDAY' and unit = 'PC_IND'
    and geo::varchar not in (select geo_code from ref.geo_aggregates except select geo_code from config.eu_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
