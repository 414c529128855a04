-- Business-economy totals per NUTS-2 region and year in the target NUTS version (converted like
-- int_cluster_region_year__harmonised, with the business-economy total's split weights; where a region is
-- reported under codes of two NUTS versions in one year, only the newer version's count), how each was
-- obtained (`total_source`, see int_region_year__reported) and the region's traded-cluster employment
-- (scope follows the SBS regime of the year).
-- One row per region (target NUTS version) x year.
with reported as (
    select * from intermediate.int_region_year__reported
),

routes as (
    select * from intermediate.int_nuts_links__routed
),

weights as (
    select
        from_code,
        to_code,
        max(weight) filter (where measure = 'employment') as employment,
        max(weight) filter (where measure = 'local_units') as local_units,
        max(weight) filter (where measure = 'wages_meur') as wages_meur,
    from intermediate.int_nuts_splits__weighted
    where scope = '_total'
    group by all
),

routed as (
    select
        reported.*,
        routes.output_code,
        routes.conversion,
        routes.n_sources,
        case when routes.conversion = 'split' then weights.employment else 1 end as w_employment,
        case when routes.conversion = 'split'
            then coalesce(weights.local_units, weights.employment) else 1 end as w_local_units,
        case when routes.conversion = 'split'
            then coalesce(weights.wages_meur, weights.employment) else 1 end as w_wages_meur,
    from reported
    join routes using (dataset, region_code)
    left join weights on weights.from_code = reported.region_code and weights.to_code = routes.output_code
    qualify routes.source_version is not distinct from max(routes.source_version) over (
        partition by reported.dataset, routes.output_code, reported.year
    )
),

harmonised as (
    select
        output_code as region_code,
        left(output_code, 2) as country_code,
        year,
        any_value(dataset) as dataset,
        any_value(indicator_scheme) as indicator_scheme,
        count(distinct region_code) < max(n_sources) as is_incomplete_merge,
        sum((total_employment * w_employment)::decimal(38, 12))::double as total_employment,
        sum((total_local_units * w_local_units)::decimal(38, 12))::double as total_local_units,
        sum((total_wages_meur * w_wages_meur)::decimal(38, 12))::double as total_wages_meur,
        arg_max(
            conversion,
            list_position(['unchanged', 'recoded', 'boundary_shift', 'merge', 'split', 'unbridged'], conversion)
        ) as nuts_conversion,
        arg_max(
            total_source,
            list_position(['reported', 'derived_from_parts', 'derived_with_estimates'], total_source)
        ) as total_source,
        max(total_estimated_share) as total_estimated_share,
    from routed
    group by output_code, year
),

traded as (
    select
        region_code,
        year,
        sum(employment::decimal(38, 12))::double as traded_employment,
    from intermediate.int_cluster_region_year__harmonised
    where category_code in (select category_code from ref.cluster_categories where category_type = 'traded')
    group by region_code, year
),

final as (
    select
        harmonised.region_code,
        harmonised.country_code,
        harmonised.year,
        harmonised.dataset,
        harmonised.indicator_scheme,
        case when not harmonised.is_incomplete_merge then harmonised.total_employment end as total_employment,
        case when not harmonised.is_incomplete_merge then harmonised.total_local_units end as total_local_units,
        case when not harmonised.is_incomplete_merge then harmonised.total_wages_meur end as total_wages_meur,
        traded.traded_employment,
        case when harmonised.total_employment is not null and not harmonised.is_incomplete_merge
            then harmonised.total_source end as total_source,
        case when harmonised.total_employment is not null and not harmonised.is_incomplete_merge
            then harmonised.total_estimated_share end as total_estimated_share,
        case when harmonised.is_incomplete_merge then 'incomplete_merge'
            else harmonised.nuts_conversion end as nuts_conversion,
    from harmonised
    left join traded using (region_code, year)
)

select * from final
