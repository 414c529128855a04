-- The parts of each SBS regime's business-economy total (ref.sbs_total_scopes: the sections, and divisions
-- S95/S96, its scope is made of) in every NUTS-2 region and year the region reports anything, with a
-- suppressed or missing part estimated down the NUTS tree by the classic European Cluster Observatory
-- algorithm: the parent region's value (country for a NUTS-1 region, NUTS-1 region for a NUTS-2 one;
-- published, or itself estimated) minus its children's published values, split among the children that
-- report the year but not this part (a negative remainder counts as 0): in proportion to each child's
-- size (the sum of its published parts) with setting imputation_split = proportional (default), equally
-- with `equal` (the classic algorithm). A part is estimated only where its parent is known. Regions that do not report a year at all (a code of another NUTS
-- version, say) take no part. `is_estimated_part` flags every estimate.
-- One row per region x part x year x measure.
-- Partitioned: country (a country's rows come from its own regions' rows only)
with staged as not materialized (
    -- read twice (the regimes, the published parts): not materialized, each reader scans only what it needs
    select dataset, indicator_scheme, geo_code, nuts_level, is_extra_regio, nace_code, year, measure, value,
    from staging.stg_sbs_r_nuts06_r2
    union all
    select dataset, indicator_scheme, geo_code, nuts_level, is_extra_regio, nace_code, year, measure, value,
    from staging.stg_sbs_r_nuts2021
),

-- The regions a year's data is made of, with their regime.
reporting as (
    select reporting.dataset, schemes.indicator_scheme, reporting.geo_code, reporting.nuts_level,
        reporting.year,
    from intermediate.int_sbs_region_years__reporting as reporting
    join (select distinct dataset, indicator_scheme from staged) as schemes using (dataset)
    where reporting.nuts_level between 0 and 2
),

published as (
    select staged.dataset, staged.geo_code, staged.nace_code as part_code, staged.year, staged.measure,
        staged.value,
    from staged
    join ref.sbs_total_scopes as scopes
        on scopes.indicator_scheme = staged.indicator_scheme and scopes.part_code = staged.nace_code
    where length(staged.nace_code) <= 3  -- parts are sections and divisions: skip the rest cheaply
),

-- Every part of every reporting region-year and measure, published or not.
spine as (
    select
        reporting.dataset,
        reporting.geo_code,
        reporting.nuts_level,
        case when reporting.nuts_level > 0 then left(reporting.geo_code, reporting.nuts_level + 1) end
            as parent_code,
        scopes.part_code,
        reporting.year,
        measures.measure,
        published.value,
    from reporting
    join ref.sbs_total_scopes as scopes on scopes.indicator_scheme = reporting.indicator_scheme
    cross join (select unnest(['employment', 'local_units', 'wages_meur']) as measure) as measures
    left join published
        on published.dataset = reporting.dataset
        and published.geo_code = reporting.geo_code
        and published.part_code = scopes.part_code
        and published.year = reporting.year
        and published.measure = measures.measure
),

-- Each region's size that year: the sum of its published parts (the weights of a proportional split).
sizes as (
    select dataset, geo_code, year, measure, sum(value::decimal(38, 12))::double as size,
    from spine
    group by all
),

-- Each part a region misses: what its siblings (the regions of the same parent missing or publishing the
-- same part) publish, and its share of the parent's remainder.
family as (
    select
        spine.*,
        sizes.size,
        coalesce(sum(spine.value::decimal(38, 12)) over siblings, 0)::double as published_siblings_sum,
        count(*) filter (where spine.value is null) over siblings as n_missing,
        count(*) filter (where spine.value is null and sizes.size > 0) over siblings as n_missing_sized,
        sum(sizes.size::decimal(38, 12)) filter (where spine.value is null) over siblings as missing_size,
    from spine
    left join sizes using (dataset, geo_code, year, measure)
    where spine.nuts_level > 0
    window siblings as (partition by spine.dataset, spine.parent_code, spine.part_code, spine.year, spine.measure)
),

missing as (
    select
        dataset,
        geo_code,
        part_code,
        year,
        measure,
        published_siblings_sum,
        case
            when getvariable('imputation_split') = 'proportional' and n_missing_sized = n_missing
                then size / missing_size::double
            else 1 / n_missing
        end as split_share,
    from family
    where value is null
),

countries as (
    select * from spine where nuts_level = 0
),

level1 as (
    select
        spine.dataset,
        spine.geo_code,
        spine.part_code,
        spine.year,
        spine.measure,
        coalesce(
            spine.value,
            case when country.value is not null
                then greatest(country.value - missing.published_siblings_sum, 0) * missing.split_share end
        ) as value,
    from spine
    left join missing using (dataset, geo_code, part_code, year, measure)
    left join countries as country
        on country.dataset = spine.dataset
        and country.geo_code = spine.parent_code
        and country.part_code = spine.part_code
        and country.year = spine.year
        and country.measure = spine.measure
    where spine.nuts_level = 1
),

final as (
    select
        spine.dataset,
        spine.geo_code as region_code,
        left(spine.geo_code, 2) as country_code,
        spine.part_code,
        spine.year,
        spine.measure,
        coalesce(
            spine.value,
            case when parent.value is not null
                then greatest(parent.value - missing.published_siblings_sum, 0) * missing.split_share end
        ) as value,
        spine.value as published_value,
        spine.value is null and parent.value is not null as is_estimated_part,
    from spine
    left join missing using (dataset, geo_code, part_code, year, measure)
    left join level1 as parent
        on parent.dataset = spine.dataset
        and parent.geo_code = spine.parent_code
        and parent.part_code = spine.part_code
        and parent.year = spine.year
        and parent.measure = spine.measure
    where spine.nuts_level = 2
)

select * from final
