-- Ecosystem indicator values re-expressed in the target NUTS version (setting nuts_target_version), as the
-- cluster tables are, so that no region is scored beside the regions that replaced it. A NUTS-2 code is read
-- in the NUTS version of its indicator's (first) source dataset (registry nuts_version), else in the newest
-- version that has it (Eurostat mixes versions); its link to the target version comes from
-- ref.nuts_correspondence. Indicators are rates and shares: recoded and boundary-shifted regions keep their
-- value; each successor of a split region takes the region's value (`split`); a region merged from several
-- has no value (the parts' weights are unknown: `merge`, value NULL, filled from its NUTS-1 region
-- downstream). Where a region is reported under codes of two versions in one year, only the newer version's
-- count. NUTS-1 rows (which fill gaps of their NUTS-2 regions) are kept as they are.
-- One row per region (target NUTS version) x indicator x year.
with computed as (
    select * exclude (is_eu_aggregate) from intermediate.int_ecosystem_indicators__computed
    where not is_eu_aggregate
),

source_datasets as (
    select indicator_code, trim(split_part(source_dataset, '+', 1)) as dataset
    from ref.ecosystem_indicators
),

versions as (
    select
        computed.region_code,
        computed.indicator_code,
        coalesce(
            max(nuts.nuts_version) filter (where nuts.nuts_version = registry.nuts_version),
            max(nuts.nuts_version)
        ) as source_version,
    from (select distinct region_code, indicator_code from computed where nuts_level = 2) as computed
    left join source_datasets using (indicator_code)
    left join config.registry as registry using (dataset)
    left join ref.nuts_regions as nuts on nuts.nuts_code = computed.region_code and nuts.nuts_level = 2
    group by all
),

links as (
    select * from ref.nuts_correspondence
    where to_version = getvariable('nuts_target_version')
),

routed as (
    select
        computed.indicator_code,
        computed.year,
        computed.nuts_level,
        coalesce(links.to_code, computed.region_code) as region_code,
        coalesce(links.change, 'unchanged') as nuts_conversion,
        computed.value,
    from computed
    join versions using (region_code, indicator_code)
    left join links
        on links.from_version = versions.source_version and links.from_code = computed.region_code
    qualify versions.source_version is not distinct from max(versions.source_version) over (
        partition by coalesce(links.to_code, computed.region_code), computed.indicator_code, computed.year
    )
),

-- A target region reached from several source regions (a merge, or boundary shifts joining two) takes
-- no value: a rate of the whole cannot be made from its parts' rates.
final as (
    select
        region_code,
        year,
        indicator_code,
        case when count(*) = 1 then any_value(value) end as value,
        nuts_level,
        case when count(*) = 1 then any_value(nuts_conversion) else 'merge' end as nuts_conversion,
    from routed
    group by region_code, year, indicator_code, nuts_level
    union all by name
    select region_code, year, indicator_code, value, nuts_level, 'unchanged' as nuts_conversion,
    from computed
    where nuts_level <> 2
)

select * from final
