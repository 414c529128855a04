-- Industries add up: NACE groups sum to their division and divisions to their section, in every region,
-- year and measure, wherever all children the NACE structure defines are published.
-- Tolerance: 0.1 % of the parent plus half a rounding unit (0.05) per child. A difference is an
-- `inconsistency` (a warning): Eurostat's own tables do not always add up (in the 2017 sbs_r_nuts06_r2,
-- e.g. Greek G45 groups differ from their division by one local unit); the imputation of suppressed cells
-- works from each parent's published value, so such a difference never stops a run.
-- `cells` is read twice: not materialized, so each reader scans the staging tables' columns it needs
-- (materialising 14 million rows first cost more time and 1.3 GB).
with cells as not materialized (
    select dataset, geo_code, nace_code, year, measure, value
    from staging.stg_sbs_r_nuts06_r2
    union all
    select dataset, geo_code, nace_code, year, measure, value
    from staging.stg_sbs_r_nuts2021
),

structure as (
    select
        parent_code,
        count(*) as n_defined,
    from ref.nace_rev2
    where parent_code is not null
    group by parent_code
),

children as (
    select
        cells.dataset,
        cells.geo_code,
        nace.parent_code,
        cells.year,
        cells.measure,
        sum(cells.value) as children_sum,
        count(*) filter (where cells.value is null) as unpublished,
        count(*) as n_children,
    from cells
    join ref.nace_rev2 as nace using (nace_code)
    where nace.parent_code is not null
    group by all
),

compared as (
    select
        children.*,
        parent.value as parent_value,
        abs(children.children_sum - parent.value) as difference,
        1e-3 * abs(parent.value) + 0.05 * children.n_children as tolerance,
    from children
    join structure using (parent_code)
    join cells as parent
        on parent.nace_code = children.parent_code
        and parent.dataset = children.dataset
        and parent.geo_code = children.geo_code
        and parent.year = children.year
        and parent.measure = children.measure
    where children.unpublished = 0
        and children.n_children = structure.n_defined
        and parent.value is not null
),

checked as (
    select
        dataset,
        geo_code,
        parent_code,
        year,
        measure,
        parent_value,
        children_sum,
        case when difference > tolerance then
            format('{} {} {} {}: {} sum to {} but {} is {}', dataset, geo_code, year, measure,
                   'children of ' || parent_code, round(children_sum, 2), parent_code, parent_value)
        end as inconsistency,
    from compared
)

select * from checked where inconsistency is not null
