-- Regions add up: NUTS-2 cells sum to their NUTS-1 parent and NUTS-1 cells to their country, for every
-- industry, year and measure, wherever every child region is published (confidential or missing cells
-- make a comparison impossible; extra-regio regions without values count as not applicable).
-- Tolerance: 0.1 % of the parent plus half a rounding unit (0.05) per child.
-- `cells` is read twice: not materialized, so each reader scans the staging tables' columns it needs
-- (materialising 14 million rows first cost more time and 1.3 GB).
with cells as not materialized (
    select dataset, geo_code, nuts_level, is_extra_regio, nace_code, year, measure, value
    from staging.stg_sbs_r_nuts06_r2
    union all
    select dataset, geo_code, nuts_level, is_extra_regio, nace_code, year, measure, value
    from staging.stg_sbs_r_nuts2021
),

children as (
    select
        dataset,
        left(geo_code, nuts_level + 1) as parent_code,
        nace_code,
        year,
        measure,
        sum(value) as children_sum,
        count(*) filter (where value is null and not is_extra_regio) as unpublished,
        count(*) as n_children,
    from cells
    where nuts_level in (1, 2)
    group by all
),

compared as (
    select
        children.*,
        parent.value as parent_value,
        abs(children.children_sum - parent.value) as difference,
        1e-3 * abs(parent.value) + 0.05 * children.n_children as tolerance,
    from children
    join cells as parent
        on parent.geo_code = children.parent_code
        and parent.dataset = children.dataset
        and parent.nace_code = children.nace_code
        and parent.year = children.year
        and parent.measure = children.measure
    where children.unpublished = 0 and parent.value is not null and parent.nuts_level in (0, 1)
),

checked as (
    select
        dataset,
        parent_code,
        nace_code,
        year,
        measure,
        parent_value,
        children_sum,
        case when difference > tolerance then
            format('{} {} {} {}: regions sum to {} but {} is {}', dataset, nace_code, year, measure,
                   round(children_sum, 2), parent_code, parent_value)
        end as problem,
    from compared
)

select * from checked where problem is not null
