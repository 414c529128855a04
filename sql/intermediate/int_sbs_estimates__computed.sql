-- Estimates of the suppressed or missing SBS cells of the NACE Rev. 2 tree (sections to classes) in NUTS-2
-- regions, by the classic European Cluster Observatory algorithm: going down the tree, each parent's value
-- (reported, or itself estimated) minus its reported children is split among its missing children (a
-- negative remainder counts as 0; nothing is estimated under an unknown parent). The split (setting
-- imputation_split): `proportional` (default) in proportion to the missing codes' values in the region's
-- country that year, where the country publishes all of them, else equally, and never above the region's
-- part of what its country leaves unpublished of the code (the country's value minus the values its NUTS-2
-- regions publish, shared among the country's regions missing the code by the size of their section);
-- `equal` is the classic algorithm exactly (equal shares, no cap). On real data an equal split puts more
-- tobacco jobs in one German region than Germany has (docs/real_data.md).
-- With the proportional split, a suppressed section is estimated down the NUTS tree instead
-- (int_sbs_parts__estimated: its parent is a region, not an industry), and so is a suppressed division
-- S95/S96 (a part of the business-economy total) that the tree cannot estimate (no section S in the
-- data); with `equal` neither is, as in the classic algorithm. `method` says which estimated a cell.
-- Only the missing cells and their parents take part; a missing cell nothing estimates has no row.
-- One row per region x NACE code x year x measure (estimated cells only).
-- `cells` is read several times: not materialized, each reader scans the columns it needs (materialising
-- 9 million rows first cost more time and 1.3 GB).
-- Partitioned: country (a country's rows come from its own regions' rows only)
with cells as not materialized (
    select
        unioned.dataset,
        unioned.region_code,
        unioned.country_code,
        unioned.nace_code,
        nace.nace_level,
        nace.parent_code,
        nace.section,
        unioned.year,
        unioned.measure,
        unioned.value,
    from intermediate.int_sbs__unioned as unioned
    join ref.nace_rev2 as nace using (nace_code)
    where not unioned.is_business_economy_total
),

-- Parts of the business-economy total that the NUTS tree estimates (proportional split only).
nuts_tree as (
    select
        dataset, region_code, part_code as nace_code, year, measure, value,
        nace.nace_level,
    from intermediate.int_sbs_parts__estimated as parts
    join ref.nace_rev2 as nace on nace.nace_code = parts.part_code
    where parts.published_value is null
        and parts.value is not null
        and getvariable('imputation_split') = 'proportional'
),

-- Every parent present through its children: what its reported children add up to, how many are missing.
children as (
    select
        region_code,
        year,
        measure,
        parent_code as nace_code,
        coalesce(sum(value::decimal(38, 12)), 0)::double as reported_children_sum,
        count(*) filter (where value is null) as n_missing_children,
    from cells
    where parent_code is not null
    group by region_code, year, measure, parent_code
),

incomplete as (
    select * from children where n_missing_children > 0
),

-- The country's published values of each code (NUTS 0): the weights of a proportional split.
national as (
    select left(geo_code, 2) as country_code, nace_code, year, measure, value,
    from staging.stg_sbs_r_nuts06_r2
    where nuts_level = 0 and value is not null
    union all
    select left(geo_code, 2), nace_code, year, measure, value,
    from staging.stg_sbs_r_nuts2021
    where nuts_level = 0 and value is not null
),

missing_cells as (
    select
        cells.dataset,
        cells.region_code,
        cells.country_code,
        cells.year,
        cells.measure,
        cells.nace_code,
        cells.nace_level,
        cells.parent_code,
        cells.section,
        incomplete.reported_children_sum as reported_siblings_sum,
        incomplete.n_missing_children as n_missing_siblings,
        national.value as national_value,
    from cells
    join incomplete
        on incomplete.region_code = cells.region_code
        and incomplete.year = cells.year
        and incomplete.measure = cells.measure
        and incomplete.nace_code = cells.parent_code
    left join national
        on national.country_code = cells.country_code
        and national.nace_code = cells.nace_code
        and national.year = cells.year
        and national.measure = cells.measure
    where cells.value is null
),

-- Each region's sections (published, or estimated down the NUTS tree): its size in a code's section.
section_sizes as (
    select region_code, nace_code as section, year, measure, value as section_size,
    from cells
    where nace_level = 1 and value is not null
    union all
    select region_code, nace_code, year, measure, value,
    from nuts_tree
    where nace_level = 1
),

-- What each country leaves unpublished of a code its regions miss: its value minus its NUTS-2 regions'
-- published ones, and the total size (section value) of the regions missing it.
national_gaps as (
    select
        missing.country_code,
        missing.nace_code,
        missing.year,
        missing.measure,
        any_value(missing.national_value) as national_value,
        count(*) as n_regions,
        count(sizes.section_size) filter (where sizes.section_size > 0) as n_sized,
        sum(sizes.section_size::decimal(38, 12))::double as missing_regions_size,
    from missing_cells as missing
    left join section_sizes as sizes using (region_code, section, year, measure)
    group by all
),

national_remainders as (
    select
        gaps.*,
        -- greatest() skips NULLs: a country that hides the code sets no cap
        case when gaps.national_value is not null
            then greatest(gaps.national_value - coalesce(regional.published_sum, 0), 0)
        end as national_remainder,
    from national_gaps as gaps
    left join (
        select country_code, nace_code, year, measure,
            sum(value::decimal(38, 12))::double as published_sum,
        from cells
        group by all
    ) as regional using (country_code, nace_code, year, measure)
),

-- The national weights of each parent's missing children, when the country publishes all of them.
sibling_weights as (
    select region_code, year, measure, parent_code,
        count(national_value) as n_weighted,
        sum(national_value::decimal(38, 12))::double as weight_sum,
    from missing_cells
    group by all
),

-- Each missing cell's share of its parent's remainder, and the cap its country sets.
missing as (
    select
        missing_cells.*,
        case
            when getvariable('imputation_split') = 'proportional'
                and weights.n_weighted = missing_cells.n_missing_siblings
                and weights.weight_sum > 0
            then missing_cells.national_value / weights.weight_sum
            else 1 / missing_cells.n_missing_siblings
        end as split_share,
        case when getvariable('imputation_split') = 'proportional' then
            remainders.national_remainder * case
                when remainders.n_sized = remainders.n_regions
                then sizes.section_size / remainders.missing_regions_size
                else 1
            end
        end as national_cap,
    from missing_cells
    join sibling_weights as weights using (region_code, year, measure, parent_code)
    left join national_remainders as remainders using (country_code, nace_code, year, measure)
    left join section_sizes as sizes using (region_code, section, year, measure)
),

-- Parents with a known value: published, or (sections) estimated down the NUTS tree.
known_parents as (
    select cells.region_code, cells.year, cells.measure, cells.nace_code, cells.value,
    from cells
    semi join incomplete using (region_code, year, measure, nace_code)
    where cells.value is not null
    union all
    select region_code, year, measure, nace_code, value,
    from nuts_tree
    where nace_level = 1
),

divisions_uncapped as (
    select
        missing.region_code,
        missing.year,
        missing.measure,
        missing.nace_code,
        (case
            when parent.value < missing.reported_siblings_sum then 0
            else parent.value - missing.reported_siblings_sum
        end) * missing.split_share as raw_estimate,
        missing.national_cap,
    from missing
    left join known_parents as parent
        on parent.region_code = missing.region_code
        and parent.year = missing.year
        and parent.measure = missing.measure
        and parent.nace_code = missing.parent_code
    where missing.nace_level = 2
),

divisions as (
    select region_code, year, measure, nace_code,
        -- least() skips NULLs: an unknown parent gives no estimate
        case when raw_estimate is not null
            then least(raw_estimate, coalesce(national_cap, raw_estimate)) end as estimate,
    from divisions_uncapped
),

groups_uncapped as (
    select
        missing.region_code,
        missing.year,
        missing.measure,
        missing.nace_code,
        (case
            when coalesce(parent.value, estimated_parent.estimate) < missing.reported_siblings_sum then 0
            else coalesce(parent.value, estimated_parent.estimate) - missing.reported_siblings_sum
        end) * missing.split_share as raw_estimate,
        missing.national_cap,
    from missing
    left join known_parents as parent
        on parent.region_code = missing.region_code
        and parent.year = missing.year
        and parent.measure = missing.measure
        and parent.nace_code = missing.parent_code
    left join divisions as estimated_parent
        on estimated_parent.region_code = missing.region_code
        and estimated_parent.year = missing.year
        and estimated_parent.measure = missing.measure
        and estimated_parent.nace_code = missing.parent_code
    where missing.nace_level = 3
),

groups as (
    select region_code, year, measure, nace_code,
        case when raw_estimate is not null
            then least(raw_estimate, coalesce(national_cap, raw_estimate)) end as estimate,
    from groups_uncapped
),

classes_uncapped as (
    select
        missing.region_code,
        missing.year,
        missing.measure,
        missing.nace_code,
        (case
            when coalesce(parent.value, estimated_parent.estimate) < missing.reported_siblings_sum then 0
            else coalesce(parent.value, estimated_parent.estimate) - missing.reported_siblings_sum
        end) * missing.split_share as raw_estimate,
        missing.national_cap,
    from missing
    left join known_parents as parent
        on parent.region_code = missing.region_code
        and parent.year = missing.year
        and parent.measure = missing.measure
        and parent.nace_code = missing.parent_code
    left join groups as estimated_parent
        on estimated_parent.region_code = missing.region_code
        and estimated_parent.year = missing.year
        and estimated_parent.measure = missing.measure
        and estimated_parent.nace_code = missing.parent_code
    where missing.nace_level = 4
),

classes as (
    select region_code, year, measure, nace_code,
        case when raw_estimate is not null
            then least(raw_estimate, coalesce(national_cap, raw_estimate)) end as estimate,
    from classes_uncapped
),

nace_tree as (
    select * from divisions where estimate is not null
    union all
    select * from groups where estimate is not null
    union all
    select * from classes where estimate is not null
),

final as (
    select region_code, nace_code, year, measure, estimate, 'nace_tree' as method,
    from nace_tree
    union all
    -- sections, and S95/S96 where the NACE tree has no estimate
    select region_code, nace_code, year, measure, value, 'nuts_tree',
    from nuts_tree
    anti join nace_tree using (region_code, nace_code, year, measure)
)

select * from final
