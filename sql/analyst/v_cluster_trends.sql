-- Cluster trends for people: fct_cluster_trends with region, country and category names first.
-- One row per region x category x window.
-- Materialized: view (labels joined on read: nothing stored twice)
with trends as (
    select * from marts.fct_cluster_trends
),

regions as (
    select * from marts.dim_region
),

final as (
    select
        regions.region_name,
        regions.country_name,
        categories.category_name,
        trends.*,
    from trends
    left join regions using (region_code)
    left join marts.dim_cluster_category as categories using (category_code)
)

select * from final
