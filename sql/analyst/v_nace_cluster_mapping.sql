-- Which NACE Rev. 2 codes make up each cluster category and emerging industry, with NACE labels and
-- category names: the mapping the cluster tables are built from (its evidence: docs/cluster_mapping.md).
-- One row per NACE code x category.
-- Materialized: view (labels joined on read: nothing stored twice)
with mapping as (
    select nace_code, category_code, allocation_weight from ref.nace_cluster_mapping
    union all
    select nace_code, category_code, allocation_weight from ref.nace_emerging_mapping
),

final as (
    select
        categories.category_name,
        categories.category_type,
        mapping.nace_code,
        nace.nace_label,
        nace.nace_level,
        mapping.allocation_weight,
        mapping.category_code,
    from mapping
    left join ref.nace_rev2 as nace using (nace_code)
    left join marts.dim_cluster_category as categories using (category_code)
)

select * from final
