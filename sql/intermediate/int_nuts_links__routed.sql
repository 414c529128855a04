-- Where each source region's SBS values go in the target NUTS version, and how: `conversion` is the link's
-- change (unchanged, recoded, boundary_shift, merge, split), or `unbridged` for a split that cannot be
-- bridged (setting nuts_split_rule = 'none', a split_merge, or no successor values to share it by): such a
-- region keeps its old code and trends across the change get break reason nuts_recode.
-- One row per dataset x source region x output region.
with links as (
    select * from intermediate.int_nuts_links__resolved
),

bridged_splits as (
    select distinct from_code, to_code
    from intermediate.int_nuts_splits__weighted
    where scope = '_total' and measure = 'employment'
),

classified as (
    select
        links.*,
        case
            when links.change not in ('split', 'split_merge') then links.change
            when links.is_pure_split and bridged_splits.to_code is not null then 'split'
            else 'unbridged'
        end as conversion,
    from links
    left join bridged_splits
        on bridged_splits.from_code = links.region_code and bridged_splits.to_code = links.target_code
),

final as (
    select distinct
        dataset,
        region_code,
        source_version,
        case when conversion = 'unbridged' then region_code else target_code end as output_code,
        conversion,
        case when conversion = 'merge' then n_sources else 1 end as n_sources,
    from classified
)

select * from final
