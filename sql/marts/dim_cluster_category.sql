-- Cluster categories: the 51 traded categories and the 10 emerging industries.
-- One row per category.
with source as (
    select * from ref.cluster_categories
),

final as (
    select
        category_code,
        category_type,
        category_number,
        category_name,
    from source
)

select * from final
