-- Weights that bridge a NUTS split (setting nuts_split_rule = 'first_year_shares'): each successor's share
-- of its successors' sum in the first year all of them report a positive value, per cluster category
-- (or `_total`, the business-economy total) and measure. Only pure splits are bridged; with rule 'none'
-- this table is empty.
-- One row per split region x successor region x scope x measure.
with links as (
    select * from intermediate.int_nuts_links__resolved
),

splits as (
    select distinct
        region_code as from_code,
        target_code as to_code,
        count(*) over (partition by dataset, region_code) as n_successors,
    from links
    where is_pure_split and getvariable('nuts_split_rule') = 'first_year_shares'
),

-- Values reported for target-version regions (under their target code, or a code that maps one to one
-- onto it: a 2016 code unchanged in 2021 counts), long: one row per region x scope x year x measure.
target_rows as (
    select links.target_code as region_code, mapped.category_code as scope, mapped.year,
        unnest(['employment', 'local_units', 'wages_meur', 'value_added_meur']) as measure,
        unnest([mapped.employment, mapped.local_units, mapped.wages_meur, mapped.value_added_meur]) as value,
    from intermediate.int_cluster_region_year__mapped as mapped
    join links using (dataset, region_code)
    where links.change in ('unchanged', 'recoded', 'boundary_shift')
    union all
    select links.target_code as region_code, '_total' as scope, reported.year,
        unnest(['employment', 'local_units', 'wages_meur']) as measure,
        unnest([reported.total_employment, reported.total_local_units, reported.total_wages_meur]) as value,
    from intermediate.int_region_year__reported as reported
    join links using (dataset, region_code)
    where links.change in ('unchanged', 'recoded', 'boundary_shift')
),

successor_values as (
    select splits.from_code, splits.to_code, splits.n_successors, target_rows.scope, target_rows.year,
        target_rows.measure, target_rows.value,
    from splits
    join target_rows on target_rows.region_code = splits.to_code
    where target_rows.value > 0
),

first_years as (
    select from_code, scope, measure, min(year) as share_year,
    from (
        select from_code, scope, measure, year,
        from successor_values
        group by from_code, scope, measure, year, n_successors
        having count(distinct to_code) = n_successors
    )
    group by from_code, scope, measure
),

final as (
    select
        successor_values.from_code,
        successor_values.to_code,
        successor_values.scope,
        successor_values.measure,
        first_years.share_year,
        successor_values.value / sum(successor_values.value::decimal(38, 12)) over (
            partition by successor_values.from_code, successor_values.scope, successor_values.measure
        )::double as weight,
    from successor_values
    join first_years
        on first_years.from_code = successor_values.from_code
        and first_years.scope = successor_values.scope
        and first_years.measure = successor_values.measure
        and first_years.share_year = successor_values.year
)

select * from final
