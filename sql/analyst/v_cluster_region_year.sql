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
        cells.* exclude (year) replace (
            -- counts and euros rounded for reading (exact in marts.fct_cluster_region_year)
            round(cells.employment)::bigint as employment,
            round(cells.local_units)::bigint as local_units,
            round(cells.avg_wage_eur)::bigint as avg_wage_eur,
            round(cells.productivity_eur)::bigint as productivity_eur,
            round(cells.region_total_employment)::bigint as region_total_employment,
            round(cells.region_traded_employment)::bigint as region_traded_employment,
            round(cells.eu_category_employment)::bigint as eu_category_employment,
            round(cells.eu_total_employment)::bigint as eu_total_employment,
            round(cells.imputed_employment)::bigint as imputed_employment
        ),
    from cells
    left join regions using (region_code)
    left join categories using (category_code)
)

select * from final
