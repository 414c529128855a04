-- Cluster categories: the 51 traded categories and the 10 emerging industries, named as the European
-- Observatory writes them (British spelling), the US benchmark's name alongside.
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
        nullif(us_name, '') as us_name,
    from source
)

select * from final
