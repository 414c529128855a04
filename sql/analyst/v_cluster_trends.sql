-- Cluster trends for people: fct_cluster_trends with region, country and category names first.
-- One row per region x category x window.
-- Materialized: view (labels joined on read: nothing stored twice)
with trends as (
    select * from marts.fct_cluster_trends
),

regions as (
    select * from marts.dim_region
),

countries as (
    select region_code as country_code, region_name as country_name from marts.dim_region
    where nuts_level = 0
),

final as (
    select
        regions.region_name,
        countries.country_name,
        categories.category_name,
        trends.*,
    from trends
    left join regions using (region_code)
    left join countries on countries.country_code = left(trends.region_code, 2)
    left join marts.dim_cluster_category as categories using (category_code)
)

select * from final
