-- Coverage of the SBS datasets, on what real Eurostat files look like. Returns only the rows with something
-- to say:
--   `problem` (critical): a year between a dataset's first and last loaded year (within its registry
--     range and the run's years) in which no NUTS-2 region has a value: a hole left by a failed
--     extract or a truncated file, never seen in Eurostat's own files;
--   `gap` (warning): what real files always have: a region without values in a year inside its own span
--     of reported years (while the others report), a region that stops before the latest year (an
--     incomplete latest year: Eurostat fills the newest year over months), a registry year before the
--     first one the file holds. A region whose code changed with a NUTS revision reports under each code
--     for its own years, which is not a gap.
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

loaded as (
    select dataset, min(year) as first_year, max(year) as last_year from present group by dataset
),

dataset_years as (
    select
        registry.dataset,
        unnest(range(
            greatest(registry.start_year, loaded.first_year),
            least(coalesce(registry.end_year, loaded.last_year), loaded.last_year) + 1
        )) as year,
    from config.registry as registry
    join loaded using (dataset)
),

holes as (
    select
        dataset_years.dataset,
        null as geo_code,
        dataset_years.year,
        format('{}: no NUTS-2 region has a value in {} (a year inside the loaded range {}-{})',
            dataset_years.dataset, dataset_years.year, loaded.first_year, loaded.last_year) as problem,
        null as gap,
    from dataset_years
    join loaded using (dataset)
    anti join (select distinct dataset, year from present) as reported using (dataset, year)
),

early_years as (
    select
        registry.dataset,
        null as geo_code,
        unnest(range(registry.start_year, loaded.first_year)) as year,
        null as problem,
        format('{}: the registry range starts in {}, the file in {}', registry.dataset,
            registry.start_year, loaded.first_year) as gap,
    from config.registry as registry
    join loaded using (dataset)
    where registry.start_year < loaded.first_year
),

spans as (
    select dataset, geo_code, min(year) as first_year, max(year) as last_year,
    from present
    group by dataset, geo_code
),

region_gaps as (
    select
        spans.dataset,
        spans.geo_code,
        unnest(range(spans.first_year, spans.last_year + 1)) as year,
    from spans
),

inside as (
    select
        region_gaps.dataset,
        region_gaps.geo_code,
        region_gaps.year,
        null as problem,
        format('{}: no values for {} in {} (it reports in {}-{})', region_gaps.dataset,
            region_gaps.geo_code, region_gaps.year, spans.first_year, spans.last_year) as gap,
    from region_gaps
    join spans using (dataset, geo_code)
    anti join present using (dataset, geo_code, year)
),

latest as (
    select
        spans.dataset,
        spans.geo_code,
        loaded.last_year as year,
        null as problem,
        format('{}: no values for {} in the latest year {} (it reports until {})', spans.dataset,
            spans.geo_code, loaded.last_year, spans.last_year) as gap,
    from spans
    join loaded using (dataset)
    where spans.last_year = loaded.last_year - 1
)

select * from holes
union all by name
select * from early_years
union all by name
select * from inside
union all by name
select * from latest
