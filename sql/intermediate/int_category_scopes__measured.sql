-- How much of each cluster category an SBS regime can see: the share of the category's NACE classes
-- (weighted by their allocation weight) that lie inside the regime's scope, the parts of its
-- business-economy total (ref.sbs_total_scopes). The legacy regime covers sections B-N without K, plus
-- S95: forestry, fishing, finance, education or the performing arts lie wholly or partly outside it.
-- A category below the setting min_category_scope_share is `is_mostly_outside`: its regional numbers
-- measure only a sliver of it, so it earns no star.
-- One row per category x indicator scheme.
with classes as (
    select mapping.category_code, mapping.nace_code, mapping.allocation_weight, nace.section,
        left(mapping.nace_code, 3) as division,
    from (
        select nace_code, category_code, allocation_weight from ref.nace_cluster_mapping
        union all
        select nace_code, category_code, allocation_weight from ref.nace_emerging_mapping
    ) as mapping
    join ref.nace_rev2 as nace using (nace_code)
    where nace.nace_level = 4
),

schemes as (
    select distinct indicator_scheme, total_code from ref.sbs_total_scopes
),

measured as (
    select
        classes.category_code,
        schemes.indicator_scheme,
        schemes.total_code,
        count(*) as n_classes,
        count(*) filter (where scopes.part_code is not null) as n_classes_in_scope,
        (sum(classes.allocation_weight) filter (where scopes.part_code is not null))
            / sum(classes.allocation_weight) as scope_share,
    from classes
    cross join schemes
    left join ref.sbs_total_scopes as scopes
        on scopes.indicator_scheme = schemes.indicator_scheme
        and scopes.part_code in (classes.section, classes.division)
    group by all
),

final as (
    select
        categories.category_code,
        schemes.indicator_scheme,
        schemes.total_code,
        coalesce(measured.n_classes, 0) as n_classes,
        coalesce(measured.n_classes_in_scope, 0) as n_classes_in_scope,
        coalesce(measured.scope_share, 0) as scope_share,
        coalesce(measured.scope_share, 0) < getvariable('min_category_scope_share') as is_mostly_outside,
    from ref.cluster_categories as categories
    cross join schemes
    left join measured using (category_code, indicator_scheme)
)

select * from final
