-- Cluster mapping: employment, local units and wages per traded cluster category and emerging industry
-- (category_type) in each NUTS-2 region,
-- with location quotient, focus, European shares, the estimated (imputed) part of employment, the classic
-- European Cluster Observatory stars (profile eco-classic) and the star count and performance level of
-- the run's star profile (setting star_profile; every profile is in fct_cluster_stars): star_count stars
-- earned out of stars_evaluated judged (a star whose input has no value that year is unknown) of
-- stars_in_profile; performance_level follows from the stars earned. A classic star flag is NULL when unknown.
-- Regions are in the NUTS version nuts_version (setting nuts_target_version); nuts_conversion says how a
-- row was converted from the extracts' codes (int_cluster_region_year__harmonised).
-- One row per region x category x year.
with cells as (
    select * from intermediate.int_cluster_region_year__measured
),

stars as (
    select * from marts.fct_cluster_stars
),

classic as (
    select
        region_code,
        category_code,
        year,
        bool_or(is_star) filter (where star = 'size')::tinyint as size_star,
        bool_or(is_star) filter (where star = 'specialisation')::tinyint as specialisation_star,
        bool_or(is_star) filter (where star = 'focus')::tinyint as focus_star,
    from stars
    where star_profile = 'eco-classic'
    group by all
),

active as (
    select
        region_code,
        category_code,
        year,
        count(*) filter (where is_star)::tinyint as star_count,
        count(is_star)::tinyint as stars_evaluated,
        count(*)::tinyint as stars_in_profile,
    from stars
    where star_profile = getvariable('star_profile')
    group by all
),

levels as (
    select * from config.star_levels
    where profile = getvariable('star_profile')
),

final as (
    select
        cells.region_code,
        cells.country_code,
        cells.category_code,
        categories.category_type,
        cells.year,
        cells.dataset,
        cells.indicator_scheme,
        cells.employment,
        cells.local_units,
        cells.wages_meur,
        cells.avg_wage_eur,
        cells.value_added_meur,
        cells.productivity_eur,
        cells.region_total_employment,
        cells.region_total_source,
        cells.region_traded_employment,
        cells.eu_category_employment,
        cells.eu_total_employment,
        cells.lq,
        cells.focus_share,
        cells.eu_category_share,
        classic.size_star,
        classic.specialisation_star,
        classic.focus_star,
        getvariable('star_profile') as star_profile,
        coalesce(active.star_count, 0)::tinyint as star_count,
        active.stars_evaluated,
        active.stars_in_profile,
        levels.performance_level,
        cells.scope_share,
        cells.no_star_reason,
        cells.is_in_reference,
        cells.imputed_employment,
        cells.imputed_employment_share,
        cells.n_missing_employment_cells,
        cells.n_confidential_employment_cells,
        cells.n_imputed_employment_cells,
        cells.has_break_flag,
        cells.has_definition_flag,
        cells.has_estimated_flag,
        cells.has_provisional_flag,
        getvariable('nuts_target_version') as nuts_version,
        cells.nuts_conversion,
        cells.nuts_source_codes,
    from cells
    join ref.cluster_categories as categories using (category_code)
    left join classic using (region_code, category_code, year)
    left join active using (region_code, category_code, year)
    left join levels on coalesce(active.star_count, 0) between levels.min_stars and levels.max_stars
)

select * from final
