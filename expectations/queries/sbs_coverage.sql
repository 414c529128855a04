-- Coverage: every NUTS-2 region of each country in a dataset has values in every year of the dataset's
-- registry range within the run's years (to the latest year loaded when the range is open); regions are those of the dataset's
-- NUTS version (registry nuts_version).
with cells as (
    select dataset, geo_code, year from staging.stg_sbs_r_nuts06_r2
    where nuts_level = 2 and not is_extra_regio and value is not null
    union all
    select dataset, geo_code, year from staging.stg_sbs_r_nuts2021
    where nuts_level = 2 and not is_extra_regio and value is not null
),

present as (
    select distinct dataset, geo_code, year from cells
),

countries as (
    select distinct dataset, left(geo_code, 2) as country_code from present
),

years as (
    select
        registry.dataset,
        registry.nuts_version,
        unnest(range(registry.start_year, coalesce(registry.end_year, latest.year) + 1)) as year,
    from config.registry as registry
    join (select dataset, max(year) as year from present group by dataset) as latest using (dataset)
),

expected as (
    select countries.dataset, nuts.nuts_code as geo_code, years.year
    from countries
    join years using (dataset)
    join ref.nuts_regions as nuts
        on nuts.country_code = countries.country_code
        and nuts.nuts_version = years.nuts_version
        and nuts.nuts_level = 2
        and not nuts.is_extra_regio
),

checked as (
    select
        expected.dataset,
        expected.geo_code,
        expected.year,
        case when present.geo_code is null then
            format('{}: no values for {} in {}', expected.dataset, expected.geo_code, expected.year)
        end as problem,
    from expected
    left join present using (dataset, geo_code, year)
)

select * from checked where problem is not null
