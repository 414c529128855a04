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
        trends.* replace (
            -- counts and euros rounded for reading (exact in marts.fct_cluster_trends)
            round(trends.employment_start)::bigint as employment_start,
            round(trends.employment_end)::bigint as employment_end,
            round(trends.employment_change)::bigint as employment_change,
            round(trends.local_units_start)::bigint as local_units_start,
            round(trends.local_units_end)::bigint as local_units_end,
            round(trends.local_units_change)::bigint as local_units_change,
            round(trends.avg_wage_eur_start)::bigint as avg_wage_eur_start,
            round(trends.avg_wage_eur_end)::bigint as avg_wage_eur_end
        ),
    from trends
    left join regions using (region_code)
    left join marts.dim_cluster_category as categories using (category_code)
)

select * from final
