-- How each region code of each SBS dataset reaches the target NUTS version (setting nuts_target_version):
-- the code is read in its dataset's NUTS version (registry nuts_version), or, when that version does not
-- have it, in the newest version that does (Eurostat mixes versions in one file); its links come from
-- ref.nuts_correspondence. A code in no shipped version is kept as it is (change 'unchanged').
-- `n_sources`: how many regions of the source version make up the target region (a merge needs all);
-- `is_pure_split`: the region went whole into several target regions, none of which took anything else.
-- One row per dataset x source region x target region.
with source_regions as (
    select distinct dataset, region_code from intermediate.int_cluster_region_year__mapped
    union
    select distinct dataset, region_code from intermediate.int_region_year__reported
),

versions as (
    select
        source_regions.dataset,
        source_regions.region_code,
        coalesce(
            max(nuts.nuts_version) filter (where nuts.nuts_version = registry.nuts_version),
            max(nuts.nuts_version)
        ) as source_version,
    from source_regions
    left join config.registry as registry using (dataset)
    left join ref.nuts_regions as nuts
        on nuts.nuts_code = source_regions.region_code and nuts.nuts_level = 2
    group by all
),

correspondence as (
    select
        *,
        count(*) over (partition by from_version, to_code) as n_sources,
        bool_and(change = 'split') over (partition by from_version, from_code) as is_pure_split,
    from ref.nuts_correspondence
    where to_version = getvariable('nuts_target_version')
),

final as (
    select
        versions.dataset,
        versions.region_code,
        versions.source_version,
        getvariable('nuts_target_version') as target_version,
        coalesce(correspondence.to_code, versions.region_code) as target_code,
        coalesce(correspondence.change, 'unchanged') as change,
        coalesce(correspondence.n_sources, 1) as n_sources,
        coalesce(correspondence.is_pure_split, false) as is_pure_split,
    from versions
    left join correspondence
        on correspondence.from_version = versions.source_version
        and correspondence.from_code = versions.region_code
)

select * from final
