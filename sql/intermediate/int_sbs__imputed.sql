-- SBS cells of the NACE Rev. 2 tree (sections to classes) in NUTS-2 regions, with suppressed or missing
-- cells estimated by the classic European Cluster Observatory algorithm: going down the tree, each
-- parent's value (reported, or itself estimated) minus its reported children is split equally among its
-- missing children (negative remainders count as 0; nothing is estimated under an unknown parent).
-- Sections are not estimated (their parent, the business-economy total, covers a scope that differs by
-- SBS regime). Each estimate is flagged. `is_leaf`: no child code of this cell is in the data (leaves add
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
        unioned.year,
        unioned.measure,
        unioned.value,
        unioned.is_confidential,
        unioned.is_break,
        unioned.is_estimated,
        unioned.is_provisional,
        unioned.dataset,
        unioned.indicator_scheme,
    from intermediate.int_sbs__unioned as unioned
    join ref.nace_rev2 as nace using (nace_code)
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

missing as (
    select
        cells.region_code,
        cells.year,
        cells.measure,
        cells.nace_code,
        cells.nace_level,
        cells.parent_code,
        incomplete.reported_children_sum as reported_siblings_sum,
        incomplete.n_missing_children as n_missing_siblings,
    from cells
    join incomplete
        on incomplete.region_code = cells.region_code
        and incomplete.year = cells.year
        and incomplete.measure = cells.measure
        and incomplete.nace_code = cells.parent_code
    where cells.value is null
),

reported_parents as (
    select cells.region_code, cells.year, cells.measure, cells.nace_code, cells.value,
    from cells
    semi join incomplete using (region_code, year, measure, nace_code)
    where cells.value is not null
),

divisions as (
    select
        missing.region_code,
        missing.year,
        missing.measure,
        missing.nace_code,
        (case
            when parent.value < missing.reported_siblings_sum then 0
            else parent.value - missing.reported_siblings_sum
        end) / missing.n_missing_siblings as estimate,
    from missing
    left join reported_parents as parent
        on parent.region_code = missing.region_code
        and parent.year = missing.year
        and parent.measure = missing.measure
        and parent.nace_code = missing.parent_code
    where missing.nace_level = 2
),

groups as (
    select
        missing.region_code,
        missing.year,
        missing.measure,
        missing.nace_code,
        (case
            when coalesce(parent.value, estimated_parent.estimate) < missing.reported_siblings_sum then 0
            else coalesce(parent.value, estimated_parent.estimate) - missing.reported_siblings_sum
        end) / missing.n_missing_siblings as estimate,
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

classes as (
    select
        missing.region_code,
        missing.year,
        missing.measure,
        missing.nace_code,
        (case
            when coalesce(parent.value, estimated_parent.estimate) < missing.reported_siblings_sum then 0
            else coalesce(parent.value, estimated_parent.estimate) - missing.reported_siblings_sum
        end) / missing.n_missing_siblings as estimate,
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
        coalesce(cells.value, estimates.estimate) as value,
        cells.value as reported_value,
        cells.value is null and estimates.estimate is not null as is_imputed,
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
