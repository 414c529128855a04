-- What a user reads before trusting the numbers: per SBS dataset and year, how much of the region x
-- industry grid Eurostat published, how much was confidential or simply missing, how much the pipeline
-- estimated (suppressed cells, int_sbs__imputed and int_sbs_parts__estimated), and how each NUTS-2
-- region's business-economy total was obtained (reported, derived from its parts, or not at all).
-- Cells are persons employed (measure employment) of every NACE code below the business-economy total
-- in the NUTS-2 regions that report the year, in the extracts' own region codes.
-- One row per dataset x year.
with cells as (
    select
        imputed.region_code,
        imputed.year,
        imputed.dataset,
        imputed.indicator_scheme,
        imputed.reported_value is not null as is_published,
        imputed.reported_value is null and imputed.is_confidential as is_confidential,
        imputed.is_imputed,
    from intermediate.int_sbs__imputed as imputed
    where imputed.measure = 'employment'
),

grid as (
    select
        dataset,
        any_value(indicator_scheme) as indicator_scheme,
        year,
        count(distinct region_code) as regions,
        count(*) as cells,
        count(*) filter (where is_published) / count(*) as published_share,
        count(*) filter (where is_confidential) / count(*) as confidential_share,
        count(*) filter (where not is_published and not is_confidential) / count(*) as missing_share,
        count(*) filter (where is_imputed) / count(*) as estimated_share,
    from cells
    group by dataset, year
),

totals as (
    select
        dataset,
        year,
        count(*) filter (where total_source = 'reported') as regions_total_reported,
        count(*) filter (where total_source = 'derived_from_parts') as regions_total_derived,
        count(*) filter (where total_source = 'derived_with_estimates') as regions_total_derived_with_estimates,
        count(*) filter (where total_source is null) as regions_without_total,
    from intermediate.int_region_year__reported
    group by dataset, year
),

final as (
    select
        grid.dataset,
        grid.indicator_scheme,
        grid.year,
        grid.regions,
        grid.cells,
        grid.published_share,
        grid.confidential_share,
        grid.missing_share,
        grid.estimated_share,
        coalesce(totals.regions_total_reported, 0) as regions_total_reported,
        coalesce(totals.regions_total_derived, 0) as regions_total_derived,
        coalesce(totals.regions_total_derived_with_estimates, 0) as regions_total_derived_with_estimates,
        coalesce(totals.regions_without_total, 0) as regions_without_total,
    from grid
    left join totals using (dataset, year)
)

select * from final
