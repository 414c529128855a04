-- Patent applications to the EPO by priority year (pat_ep_rtot), per million inhabitants; Eurostat's regional
-- series end in the early 2010s (later years are simply absent).
-- European aggregates (EU28, EA19, ...: ref.geo_aggregates) are not regions: kept in raw, not staged.
-- One row per geo x year.
select
    geo::varchar as geo_code, length(geo) - 2 as nuts_level, cast(year as smallint) as year,
    value as patents_per_million,
    flags, dataset, extract_sha256, load_run_id,
from raw.pat_ep_rtot
where freq = 'A' and unit = 'P_MHAB'
    and geo::varchar not in (select geo_code from ref.geo_aggregates)
    and year between getvariable('first_year') and getvariable('last_year')
