-- SBS cells of the NACE Rev. 2 tree (sections to classes) in NUTS-2 regions, with suppressed or missing
-- cells estimated by the classic European Cluster Observatory algorithm: going down the tree, each
-- parent's value (reported, or itself estimated) minus its reported children is split among its missing
-- children (negative remainders count as 0; nothing is estimated under an unknown parent). The split
-- (setting imputation_split): `proportional` (default) in proportion to the missing codes' values in the
-- region's country that year, where the country publishes all of them, else equally, and never above the
-- region's part of what its country leaves unpublished of the code (the country's value minus the values
-- its NUTS-2 regions publish, shared among the country's regions missing the code by the size of their
-- section); `equal` is the classic algorithm exactly (equal shares, no cap). On real data an equal split
-- puts more tobacco jobs in one German region than Germany has (docs/real_data.md).
-- With the proportional split, a suppressed section is estimated down the NUTS tree instead
-- (int_sbs_parts__estimated: its parent is a region, not an industry), and so is a suppressed division
-- S95/S96 (a part of the business-economy total) that the tree cannot estimate (no section S in the
-- data); with `equal` neither is, as in the classic algorithm. Each estimate is flagged.
-- `is_leaf`: no child code of this cell is in the data (leaves add
-- up without double counting). Only the missing cells and their parents take part in the estimation.
-- One row per region x NACE code x year x measure.
-- Materialized: view (read once, by the next model: writing 9 million rows costs more than recomputing)
-- `cells` is read four times: not materialized, each reader scans the columns it needs (materialising
-- 9 million rows first cost more time and 1.3 GB).
-- Partitioned: country (a country's rows come from its own regions' rows only)
with cells as not materialized (
    select
        unioned.region_code,
        unioned.country_code,
        unioned.nace_code,
        nace.nace_level,
        nace.parent_code,
        nace.section,
        unioned.year,
        unioned.measure,
        coalesce(
            unioned.value,
            case when nace.nace_level = 1 and getvariable('imputation_split') = 'proportional'
                then parts.value end
        ) as value,
        unioned.value as reported_value,
        case when getvariable('imputation_split') = 'proportional' then parts.value end
            as part_estimate,
        unioned.is_confidential,
        unioned.is_break,
        unioned.is_estimated,
        unioned.is_provisional,
        unioned.dataset,
        unioned.indicator_scheme,
    from intermediate.int_sbs__unioned as unioned
    join ref.nace_rev2 as nace using (nace_code)
    left join intermediate.int_sbs_parts__estimated as parts
        on unioned.value is null
        and parts.dataset = unioned.dataset
        and parts.region_code = unioned.region_code
        and parts.part_code = unioned.nace_code
        and parts.year = unioned.year
        and parts.measure = unioned.measure
    where not unioned.is_business_economy_total
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

-- What each country leaves unpublished of a code: its value minus its NUTS-2 regions' published ones.
national_remainders as (
    select
        national.country_code,
        national.nace_code,
        national.year,
        national.measure,
        greatest(national.value - coalesce(regional.published_sum, 0), 0) as national_remainder,
    from national
    left join (
        select country_code, nace_code, year, measure,
            sum(reported_value::decimal(38, 12))::double as published_sum,
        from cells
        group by all
    ) as regional using (country_code, nace_code, year, measure)
),

-- Each region's sections (published, or estimated down the NUTS tree): its size in a code's section.
section_sizes as (
    select region_code, nace_code as section, year, measure, value as section_size,
    from cells
    where nace_level = 1
),

missing_cells as (
    select
        cells.region_code,
        cells.country_code,
        cells.year,
        cells.measure,
        cells.nace_code,
        cells.nace_level,
        cells.parent_code,
        incomplete.reported_children_sum as reported_siblings_sum,
        incomplete.n_missing_children as n_missing_siblings,
        national.value as national_value,
        national_remainders.national_remainder,
        section_sizes.section_size,
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
    left join national_remainders
        on national_remainders.country_code = cells.country_code
        and national_remainders.nace_code = cells.nace_code
        and national_remainders.year = cells.year
        and national_remainders.measure = cells.measure
    left join section_sizes
        on section_sizes.region_code = cells.region_code
        and section_sizes.section = cells.section
        and section_sizes.year = cells.year
        and section_sizes.measure = cells.measure
    where cells.value is null
),

-- Each missing cell's share of its parent's remainder.
missing as (
    select
        *,
        case
            when getvariable('imputation_split') = 'proportional'
                and count(national_value) over siblings = n_missing_siblings
                and sum(national_value::decimal(38, 12)) over siblings > 0
            then national_value / (sum(national_value::decimal(38, 12)) over siblings)::double
            else 1 / n_missing_siblings
        end as split_share,
        -- the cap applies to the proportional split; `equal` is the classic algorithm exactly
        case when getvariable('imputation_split') = 'proportional' then national_remainder end * case
            when count(section_size) filter (where section_size > 0) over country_code_cells
                = count(*) over country_code_cells
            then section_size / (sum(section_size::decimal(38, 12)) over country_code_cells)::double
            else 1
        end as national_cap,
    from missing_cells
    window
        siblings as (partition by region_code, year, measure, parent_code),
        country_code_cells as (partition by country_code, nace_code, year, measure)
),

reported_parents as (
    select cells.region_code, cells.year, cells.measure, cells.nace_code, cells.value,
    from cells
    semi join incomplete using (region_code, year, measure, nace_code)
    where cells.value is not null
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
    left join reported_parents as parent
        on parent.region_code = missing.region_code
        and parent.year = missing.year
        and parent.measure = missing.measure
        and parent.nace_code = missing.parent_code
    where missing.nace_level = 2
),

divisions as (
    select region_code, year, measure, nace_code,
        case when raw_estimate is not null then least(raw_estimate, coalesce(national_cap, raw_estimate)) end
            as estimate,  -- least() skips NULLs: an unknown parent gives no estimate
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
    left join reported_parents as parent
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
        case when raw_estimate is not null then least(raw_estimate, coalesce(national_cap, raw_estimate)) end
            as estimate,  -- least() skips NULLs: an unknown parent gives no estimate
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
    left join reported_parents as parent
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
        case when raw_estimate is not null then least(raw_estimate, coalesce(national_cap, raw_estimate)) end
            as estimate,  -- least() skips NULLs: an unknown parent gives no estimate
    from classes_uncapped
),

estimates as (
    select * from divisions
    union all
    select * from groups
    union all
    select * from classes
),

final as (
    select
        cells.region_code,
        cells.country_code,
        cells.nace_code,
        cells.nace_level,
        cells.parent_code,
        cells.year,
        cells.measure,
        coalesce(cells.value, estimates.estimate, cells.part_estimate) as value,
        cells.reported_value,
        cells.reported_value is null
            and coalesce(cells.value, estimates.estimate, cells.part_estimate) is not null
            as is_imputed,
        children.nace_code is null as is_leaf,
        cells.is_confidential,
        cells.is_break,
        cells.is_estimated,
        cells.is_provisional,
        cells.dataset,
        cells.indicator_scheme,
    from cells
    left join estimates using (region_code, year, measure, nace_code)
    left join children using (region_code, year, measure, nace_code)
)

select * from final
