-- The cluster mapping table for people: fct_cluster_region_year with the region's name, NUTS level and
-- country, and the category's name, first; codes kept for joins.
-- One row per region x category x year.
-- Materialized: view (labels joined on read: nothing stored twice)
with cells as (
    select * from marts.fct_cluster_region_year
),

regions as (
    select * from marts.dim_region
),

categories as (
    select * from marts.dim_cluster_category
),

final as (
    select
        regions.region_name,
        regions.country_name,
        categories.category_name,
        cells.year,
        regions.nuts_level,
        cells.* exclude (year),
    from cells
    left join regions using (region_code)
    left join categories using (category_code)
)

select * from final
