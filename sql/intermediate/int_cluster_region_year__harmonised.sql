-- Cluster cells (int_cluster_region_year__mapped) re-expressed in the target NUTS version (setting
-- nuts_target_version), so a region's series is comparable across NUTS revisions. Per source region
-- (int_nuts_links__routed): unchanged, recoded and boundary-shifted regions are carried over (a boundary
-- shift is approximate); merged regions are summed, and only where every merged region reports the
-- category that year (else the measures are NULL, conversion `incomplete_merge`); a split region's values
-- are shared among its successors by int_nuts_splits__weighted (the category's own share for the measure,
-- else the business-economy total's); an unbridged region keeps its old code. Where one region is
-- reported under codes of two NUTS versions in the same year (real files do this in a revision's first
-- years), only the codes of the newer version count, so nothing is counted twice. Cell counts are summed over
-- the source regions (a split successor counts the cells of the region it came from).
-- `nuts_conversion`: the strongest conversion behind the row; `nuts_source_codes`: the source regions.
-- One row per region (target NUTS version) x category x year.
with cells as (
    select * from intermediate.int_cluster_region_year__mapped
),

routes as (
    select * from intermediate.int_nuts_links__routed
),

weights as (
    select
        from_code,
        to_code,
        scope,
        max(weight) filter (where measure = 'employment') as employment,
        max(weight) filter (where measure = 'local_units') as local_units,
        max(weight) filter (where measure = 'wages_meur') as wages_meur,
        max(weight) filter (where measure = 'value_added_meur') as value_added_meur,
    from intermediate.int_nuts_splits__weighted
    group by all
),

routed as (
    select
        cells.*,
        routes.output_code,
        routes.conversion,
        routes.n_sources,
        case when routes.conversion = 'split'
            then coalesce(own.employment, total.employment) else 1 end as w_employment,
        case when routes.conversion = 'split'
            then coalesce(own.local_units, total.local_units, total.employment) else 1 end as w_local_units,
        case when routes.conversion = 'split'
            then coalesce(own.wages_meur, total.wages_meur, total.employment) else 1 end as w_wages_meur,
        case when routes.conversion = 'split'
            then coalesce(own.value_added_meur, total.employment) else 1 end as w_value_added_meur,
    from cells
    join routes using (dataset, region_code)
    left join weights as own
        on own.from_code = cells.region_code
        and own.to_code = routes.output_code
        and own.scope = cells.category_code
    left join weights as total
        on total.from_code = cells.region_code
        and total.to_code = routes.output_code
        and total.scope = '_total'
    qualify routes.source_version is not distinct from max(routes.source_version) over (
        partition by cells.dataset, routes.output_code, cells.year
    )
),

aggregated as (
    select
        output_code as region_code,
        left(output_code, 2) as country_code,
        category_code,
        year,
        any_value(dataset) as dataset,
        any_value(indicator_scheme) as indicator_scheme,
        count(distinct region_code) < max(n_sources) as is_incomplete_merge,
        sum((employment * w_employment)::decimal(38, 12))::double as employment,
        sum((local_units * w_local_units)::decimal(38, 12))::double as local_units,
        sum((wages_meur * w_wages_meur)::decimal(38, 12))::double as wages_meur,
        sum((value_added_meur * w_value_added_meur)::decimal(38, 12))::double as value_added_meur,
        sum((imputed_employment * w_employment)::decimal(38, 12))::double as imputed_employment,
        sum(n_missing_employment_cells)::bigint as n_missing_employment_cells,
        sum(n_confidential_employment_cells)::bigint as n_confidential_employment_cells,
        sum(n_imputed_employment_cells)::bigint as n_imputed_employment_cells,
        bool_or(has_break_flag) as has_break_flag,
        bool_or(has_definition_flag) as has_definition_flag,
        bool_or(has_estimated_flag) as has_estimated_flag,
        bool_or(has_provisional_flag) as has_provisional_flag,
        arg_max(
            conversion,
            list_position(['unchanged', 'recoded', 'boundary_shift', 'merge', 'split', 'unbridged'], conversion)
        ) as nuts_conversion,
        string_agg(distinct region_code, ',' order by region_code) as nuts_source_codes,
    from routed
    group by output_code, category_code, year
),

final as (
    select
        region_code,
        country_code,
        category_code,
        year,
        dataset,
        indicator_scheme,
        case when not is_incomplete_merge then employment end as employment,
        case when not is_incomplete_merge then local_units end as local_units,
        case when not is_incomplete_merge then wages_meur end as wages_meur,
        case when not is_incomplete_merge then value_added_meur end as value_added_meur,
        case when not is_incomplete_merge then imputed_employment end as imputed_employment,
        n_missing_employment_cells,
        n_confidential_employment_cells,
        n_imputed_employment_cells,
        has_break_flag,
        has_definition_flag,
        has_estimated_flag,
        has_provisional_flag,
        case when is_incomplete_merge then 'incomplete_merge' else nuts_conversion end as nuts_conversion,
        nuts_source_codes,
    from aggregated
)

select * from final
