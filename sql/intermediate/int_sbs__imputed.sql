-- SBS cells of the NACE Rev. 2 tree (sections to classes) in NUTS-2 regions, with suppressed or missing
-- cells estimated by the classic European Cluster Observatory algorithm: going down the tree, each
-- parent's value (reported, or itself estimated) minus its reported children is split equally among its
-- missing children (negative remainders count as 0; nothing is estimated under an unknown parent). Sections are not estimated (their parent, the
-- business-economy total, covers a scope that differs by SBS regime). Each estimate is flagged.
-- `is_leaf`: no child code of this cell is in the data (leaves add up without double counting).
-- One row per region x NACE code x year x measure.
with cells as (
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

sections as (
    select region_code, nace_code, year, measure, value as filled_value,
    from cells
    where nace_level = 1
),

divisions as (
    select
        cells.region_code,
        cells.nace_code,
        cells.year,
        cells.measure,
        coalesce(
            cells.value,
            (case
                when parent.filled_value < coalesce(sum(cells.value::decimal(38, 12)) over siblings, 0)::double then 0
                else parent.filled_value - coalesce(sum(cells.value::decimal(38, 12)) over siblings, 0)::double
            end) / count(*) filter (where cells.value is null) over siblings
        ) as filled_value,
    from cells
    left join sections as parent
        on parent.region_code = cells.region_code
        and parent.year = cells.year
        and parent.measure = cells.measure
        and parent.nace_code = cells.parent_code
    where cells.nace_level = 2
    window siblings as (partition by cells.region_code, cells.year, cells.measure, cells.parent_code)
),

groups as (
    select
        cells.region_code,
        cells.nace_code,
        cells.year,
        cells.measure,
        coalesce(
            cells.value,
            (case
                when parent.filled_value < coalesce(sum(cells.value::decimal(38, 12)) over siblings, 0)::double then 0
                else parent.filled_value - coalesce(sum(cells.value::decimal(38, 12)) over siblings, 0)::double
            end) / count(*) filter (where cells.value is null) over siblings
        ) as filled_value,
    from cells
    left join divisions as parent
        on parent.region_code = cells.region_code
        and parent.year = cells.year
        and parent.measure = cells.measure
        and parent.nace_code = cells.parent_code
    where cells.nace_level = 3
    window siblings as (partition by cells.region_code, cells.year, cells.measure, cells.parent_code)
),

classes as (
    select
        cells.region_code,
        cells.nace_code,
        cells.year,
        cells.measure,
        coalesce(
            cells.value,
            (case
                when parent.filled_value < coalesce(sum(cells.value::decimal(38, 12)) over siblings, 0)::double then 0
                else parent.filled_value - coalesce(sum(cells.value::decimal(38, 12)) over siblings, 0)::double
            end) / count(*) filter (where cells.value is null) over siblings
        ) as filled_value,
    from cells
    left join groups as parent
        on parent.region_code = cells.region_code
        and parent.year = cells.year
        and parent.measure = cells.measure
        and parent.nace_code = cells.parent_code
    where cells.nace_level = 4
    window siblings as (partition by cells.region_code, cells.year, cells.measure, cells.parent_code)
),

filled as (
    select * from sections
    union all
    select * from divisions
    union all
    select * from groups
    union all
    select * from classes
),

with_children as (
    select distinct region_code, year, measure, parent_code as nace_code
    from cells
    where parent_code is not null
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
        filled.filled_value as value,
        cells.value as reported_value,
        cells.value is null and filled.filled_value is not null as is_imputed,
        with_children.nace_code is null as is_leaf,
        cells.is_confidential,
        cells.is_break,
        cells.is_estimated,
        cells.is_provisional,
        cells.dataset,
        cells.indicator_scheme,
    from cells
    join filled using (region_code, nace_code, year, measure)
    left join with_children using (region_code, year, measure, nace_code)
)

select * from final
