-- Which cluster categories each SBS regime can measure: the share of a category's NACE classes inside the
-- regime's scope (int_category_scopes__measured). Categories mostly outside it (`is_mostly_outside`, below
-- the setting min_category_scope_share) are marked in fct_cluster_region_year (no_star_reason
-- outside_dataset_scope) and earn no star.
-- One row per category x indicator scheme.
select
    scopes.category_code,
    categories.category_name,
    categories.category_type,
    scopes.indicator_scheme,
    scopes.total_code,
    scopes.n_classes,
    scopes.n_classes_in_scope,
    scopes.scope_share,
    scopes.is_mostly_outside,
from intermediate.int_category_scopes__measured as scopes
join ref.cluster_categories as categories using (category_code)
