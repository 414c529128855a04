-- Regions add up: NUTS-2 cells sum to their NUTS-1 parent and NUTS-1 cells to their country, for every
-- industry, year and measure. Real files mix NUTS versions (a country may report both its old and its new
-- regions in one year), so the children of a parent are taken one NUTS version at a time: a parent is
-- compared with the sum of its children in each version whose child regions are all published
-- (extra-regio regions without values count as not applicable), and it adds up when one of them does.
-- Tolerance: 0.1 % of the parent plus half a rounding unit (0.05) per child.
--   `problem` (critical): a business-economy total (the LQ denominators) that does not add up although
--     the parent and all its children are published without any flag: it would make every location
--     quotient of the country wrong, and points at a loading error rather than at Eurostat;
--   `inconsistency` (warning): any other difference: Eurostat's own regional tables do not always add up
--     (independent estimates, late revisions, zeros written for unavailable regions).
-- `cells` is read twice: not materialized, so each reader scans the staging tables' columns it needs.
with cells as not materialized (
    select dataset, geo_code, nuts_level, is_extra_regio, nace_code, is_business_economy_total, year,
        measure, value, flags
    from staging.stg_sbs_r_nuts06_r2
    union all
    select dataset, geo_code, nuts_level, is_extra_regio, nace_code, is_business_economy_total, year,
        measure, value, flags
    from staging.stg_sbs_r_nuts2021
),

-- The sets of child regions the NUTS versions define for a parent (versions that agree share one set:
-- most parents have one or two, so each cell joins one or two sets, not six versions).
version_sets as (
    select
        parent_code,
        nuts_version,
        list(nuts_code order by nuts_code) as members,
        count(*) filter (where not is_extra_regio) as n_expected,
    from ref.nuts_regions
    where nuts_level in (1, 2)
    group by parent_code, nuts_version
),

child_sets as (
    select
        parent_code,
        members,
        any_value(n_expected) as n_expected,
        row_number() over (order by parent_code, members) as set_id,
    from version_sets
    group by parent_code, members
),

set_members as (
    select set_id, parent_code, n_expected, unnest(members) as nuts_code,
    from child_sets
),

children as (
    select
        cells.dataset,
        set_members.set_id,
        set_members.parent_code,
        any_value(set_members.n_expected) as n_expected,
        cells.nace_code,
        cells.year,
        cells.measure,
        sum(cells.value) as children_sum,
        count(*) filter (where cells.value is not null and not cells.is_extra_regio) as n_published,
        count(*) filter (where cells.flags is not null) as n_flagged,
        count(*) as n_children,
    from cells
    join set_members on set_members.nuts_code = cells.geo_code
    where cells.nuts_level in (1, 2)
    group by all
),

compared as (
    select
        children.*,
        parent.value as parent_value,
        parent.flags as parent_flags,
        parent.is_business_economy_total,
        abs(children.children_sum - parent.value) as difference,
        1e-3 * abs(parent.value) + 0.05 * children.n_children as tolerance,
    from children
    join cells as parent
        on parent.geo_code = children.parent_code
        and parent.dataset = children.dataset
        and parent.nace_code = children.nace_code
        and parent.year = children.year
        and parent.measure = children.measure
    where children.n_published = children.n_expected
        and parent.value is not null
        and parent.nuts_level in (0, 1)
),

-- One verdict per parent cell: it adds up when the children of one complete version do.
judged as (
    select
        dataset,
        parent_code,
        nace_code,
        year,
        measure,
        any_value(parent_value) as parent_value,
        arg_min(children_sum, difference) as children_sum,
        bool_or(difference <= tolerance) as adds_up,
        bool_and(n_flagged = 0 and parent_flags is null) as unflagged,
        any_value(is_business_economy_total) as is_business_economy_total,
    from compared
    group by all
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
        format('{} {} {} {}: regions sum to {} but {} is {}', dataset, nace_code, year, measure,
               round(children_sum, 2), parent_code, parent_value) as message,
        is_business_economy_total and unflagged as is_gate,
    from judged
    where not adds_up
)

select
    * exclude (message, is_gate),
    case when is_gate then message end as problem,
    case when not is_gate then message end as inconsistency,
from checked
