-- "Clusters matter" (EOCIC 2020), computed as the Observatory states it: specialised clusters (traded
-- category cells with at least one star of the profile) against the same category's other cells, then
-- aggregated over categories weighted by the specialised cells' employment.
--   jobs_share, wages_share        specialised clusters' share of all business-economy jobs and wages
--                                  (the regions' business-economy totals, int_region_year__totals)
--   wage_premium                   average wage of specialised cells over the same category's other cells, - 1
--   wage_premium_without_wage_stars  the same, a cell counted as specialised only for stars not on pay
--                                  (profiles with a star on avg_wage_eur or wages_meur)
--   wage_premium_all_cells         star cells against all other cells, industries mixed (the former figure)
--   wage_growth_difference_pp, employment_growth_difference_pp
--                                  average annual growth over a trend window (int_trend_windows__resolved),
--                                  specialised at the window's start against the rest of the category, in
--                                  percentage points; cells whose window crosses a break (fct_cluster_trends
--                                  break_reason) are left out
--   high_growth_share_difference, birth_rate_difference
--                                  high-growth enterprises (V97460) and births (V11920) per active enterprise
--                                  (V11910), specialised / elsewhere - 1, from bd_hgnace2_r3 rows that break
--                                  down by NACE section or finer and NUTS-2/3 region, allocated to categories by
--                                  the mapping's weights; NULL with the reason where the data do not break down
--   frontier_firms_difference      never computable: firm-level productivity is not in Eurostat's regional tables
-- seed_value is the Observatory's figure the measure stands beside (its 13.5 % for each premium; its fast-growing
-- start-ups for birth_rate_difference, the closest measure Eurostat has). Levels are per year (year_start = year_end).
-- Sums are exact (DECIMAL) so that a rerun on the same data gives the same bits whatever the row order.
-- One row per star profile x measure x year or window.
with cells as (
    select cells.*
    from intermediate.int_cluster_region_year__measured as cells
    join ref.cluster_categories as categories using (category_code)
    where categories.category_type = 'traded' and cells.employment > 0
),

wage_stars as (
    select distinct profile, star from config.star_rules where is_wage_metric
),

stars as (
    select
        stars.profile,
        stars.region_code,
        stars.category_code,
        stars.year,
        coalesce(bool_or(stars.is_star), false) as is_specialised,
        coalesce(bool_or(stars.is_star) filter (where wage_stars.star is null), false) as is_specialised_without_wage_stars,
    from marts.fct_cluster_stars as stars
    left join wage_stars using (profile, star)
    group by stars.profile, stars.region_code, stars.category_code, stars.year
),

profiles as (
    select distinct profile, profile in (select profile from wage_stars) as has_wage_star, from config.star_rules
),

judged as (
    select stars.profile, stars.is_specialised, stars.is_specialised_without_wage_stars, cells.*,
    from cells
    join stars using (region_code, category_code, year)
),

-- the business economy of the regions with cluster cells that year
totals as (
    select year, sum((total_employment)::decimal(38, 12))::double as total_employment, sum((total_wages_meur)::decimal(38, 12))::double as total_wages_meur,
    from intermediate.int_region_year__totals
    where (region_code, year) in (select distinct region_code, year from cells)
    group by year
),

shares as (
    select
        judged.profile,
        judged.year,
        sum((judged.employment)::decimal(38, 12)) filter (where judged.is_specialised)::double as specialised_employment,
        sum((judged.wages_meur)::decimal(38, 12)) filter (where judged.is_specialised)::double as specialised_wages_meur,
        count(*) filter (where judged.is_specialised) as specialised_cells,
        count(*) filter (where not judged.is_specialised) as other_cells,
    from judged
    group by judged.profile, judged.year
),

-- Pay by category and group (cells with both employment and wages).
category_pay as (
    select
        profile,
        year,
        category_code,
        sum((wages_meur)::decimal(38, 12)) filter (where is_specialised)::double / sum((employment)::decimal(38, 12)) filter (where is_specialised)::double as wage_specialised,
        sum((wages_meur)::decimal(38, 12)) filter (where not is_specialised)::double / sum((employment)::decimal(38, 12)) filter (where not is_specialised)::double as wage_other,
        sum((wages_meur)::decimal(38, 12)) filter (where is_specialised_without_wage_stars)::double
            / sum((employment)::decimal(38, 12)) filter (where is_specialised_without_wage_stars)::double as wage_specialised_nw,
        sum((wages_meur)::decimal(38, 12)) filter (where not is_specialised_without_wage_stars)::double
            / sum((employment)::decimal(38, 12)) filter (where not is_specialised_without_wage_stars)::double as wage_other_nw,
        sum((employment)::decimal(38, 12)) filter (where is_specialised)::double as weight,
        sum((employment)::decimal(38, 12)) filter (where is_specialised_without_wage_stars)::double as weight_nw,
        count(*) filter (where is_specialised) as specialised_cells,
        count(*) filter (where not is_specialised) as other_cells,
    from judged
    where wages_meur is not null
    group by profile, year, category_code
),

premiums as (
    select
        profile,
        year,
        sum((weight * (wage_specialised / wage_other - 1))::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double
            / sum((weight)::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double as wage_premium,
        sum((weight_nw * (wage_specialised_nw / wage_other_nw - 1))::decimal(38, 12))
            filter (where wage_other_nw > 0 and wage_specialised_nw is not null)::double
            / sum((weight_nw)::decimal(38, 12)) filter (where wage_other_nw > 0 and wage_specialised_nw is not null)::double
            as wage_premium_without_wage_stars,
        count(*) filter (where wage_other > 0 and wage_specialised is not null) as categories,
        sum((specialised_cells)::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double as specialised_cells,
        sum((other_cells)::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double as other_cells,
        sum((wage_specialised * weight)::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double
            / sum((weight)::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double * 1e6 as specialised_value,
        sum((wage_other * weight)::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double
            / sum((weight)::decimal(38, 12)) filter (where wage_other > 0 and wage_specialised is not null)::double * 1e6 as other_value,
    from category_pay
    group by profile, year
),

all_cells_premium as (
    select
        profile,
        year,
        1e6 * sum((wages_meur)::decimal(38, 12)) filter (where is_specialised)::double / sum((employment)::decimal(38, 12)) filter (where is_specialised)::double
            as specialised_value,
        1e6 * sum((wages_meur)::decimal(38, 12)) filter (where not is_specialised)::double / sum((employment)::decimal(38, 12)) filter (where not is_specialised)::double
            as other_value,
    from judged
    where wages_meur is not null
    group by profile, year
),

-- Growth over each window, cells without a break, grouped by their stars at the window's start.
windows as (
    select distinct window_start, window_end from intermediate.int_trend_windows__resolved
    where window_end > window_start
),

trend_cells as (
    select
        stars.profile,
        trends.category_code,
        trends.window_start,
        trends.window_end,
        stars.is_specialised,
        trends.employment_start,
        trends.employment_end,
        trends.avg_wage_eur_start * trends.employment_start as wages_start,
        trends.avg_wage_eur_end * trends.employment_end as wages_end,
    from marts.fct_cluster_trends as trends
    join windows using (window_start, window_end)
    join ref.cluster_categories as categories using (category_code)
    join stars
        on stars.region_code = trends.region_code
        and stars.category_code = trends.category_code
        and stars.year = trends.window_start
    where categories.category_type = 'traded' and trends.break_reason is null
),

category_growth as (
    select
        profile,
        category_code,
        window_start,
        window_end,
        power(sum((employment_end)::decimal(38, 12)) filter (where is_specialised)::double / sum((employment_start)::decimal(38, 12)) filter (where is_specialised)::double,
            1.0 / (window_end - window_start)) - 1 as employment_growth_specialised,
        power(sum((employment_end)::decimal(38, 12)) filter (where not is_specialised)::double / sum((employment_start)::decimal(38, 12)) filter (where not is_specialised)::double,
            1.0 / (window_end - window_start)) - 1 as employment_growth_other,
        power(
            (sum((wages_end)::decimal(38, 12)) filter (where is_specialised and wages_start > 0 and wages_end > 0)::double
                / sum((employment_end)::decimal(38, 12)) filter (where is_specialised and wages_start > 0 and wages_end > 0)::double)
            / (sum((wages_start)::decimal(38, 12)) filter (where is_specialised and wages_start > 0 and wages_end > 0)::double
                / sum((employment_start)::decimal(38, 12)) filter (where is_specialised and wages_start > 0 and wages_end > 0)::double),
            1.0 / (window_end - window_start)) - 1 as wage_growth_specialised,
        power(
            (sum((wages_end)::decimal(38, 12)) filter (where not is_specialised and wages_start > 0 and wages_end > 0)::double
                / sum((employment_end)::decimal(38, 12)) filter (where not is_specialised and wages_start > 0 and wages_end > 0)::double)
            / (sum((wages_start)::decimal(38, 12)) filter (where not is_specialised and wages_start > 0 and wages_end > 0)::double
                / sum((employment_start)::decimal(38, 12)) filter (where not is_specialised and wages_start > 0 and wages_end > 0)::double),
            1.0 / (window_end - window_start)) - 1 as wage_growth_other,
        sum((employment_start)::decimal(38, 12)) filter (where is_specialised)::double as weight,
        count(*) filter (where is_specialised) as specialised_cells,
        count(*) filter (where not is_specialised) as other_cells,
    from trend_cells
    group by profile, category_code, window_start, window_end
),

growth as (
    select
        profile,
        window_start,
        window_end,
        measure,
        sum((weight * specialised)::decimal(38, 12)) filter (where specialised is not null and other is not null)::double
            / sum((weight)::decimal(38, 12)) filter (where specialised is not null and other is not null)::double as specialised_value,
        sum((weight * other)::decimal(38, 12)) filter (where specialised is not null and other is not null)::double
            / sum((weight)::decimal(38, 12)) filter (where specialised is not null and other is not null)::double as other_value,
        100 * sum((weight * (specialised - other))::decimal(38, 12)) filter (where specialised is not null and other is not null)::double
            / sum((weight)::decimal(38, 12)) filter (where specialised is not null and other is not null)::double as value,
        count(*) filter (where specialised is not null and other is not null) as categories,
        sum((specialised_cells)::decimal(38, 12)) filter (where specialised is not null and other is not null)::double as specialised_cells,
        sum((other_cells)::decimal(38, 12)) filter (where specialised is not null and other is not null)::double as other_cells,
    from (
        select profile, window_start, window_end, weight, specialised_cells, other_cells,
            'employment_growth_difference_pp' as measure,
            employment_growth_specialised as specialised, employment_growth_other as other,
        from category_growth
        union all
        select profile, window_start, window_end, weight, specialised_cells, other_cells,
            'wage_growth_difference_pp', wage_growth_specialised, wage_growth_other,
        from category_growth
    )
    group by profile, window_start, window_end, measure
),

-- Business demography by NACE section (or finer) and region, allocated to categories.
demography_sections as (
    select
        case when bd.nuts_level = 3 then left(bd.geo_code, 4) else bd.geo_code end as region_code,
        bd.nuts_level,
        bd.year,
        mapping.category_code,
        sum((bd.value * mapping.allocation_weight)::decimal(38, 12)) filter (where bd.indicator_code = 'V11910')::double as active,
        sum((bd.value * mapping.allocation_weight)::decimal(38, 12)) filter (where bd.indicator_code = 'V11920')::double as births,
        sum((bd.value * mapping.allocation_weight)::decimal(38, 12)) filter (where bd.indicator_code = 'V97460')::double as high_growth,
    from staging.stg_bd_hgnace2_r3 as bd
    join ref.nace_cluster_mapping as mapping on mapping.nace_code = bd.nace_code
    where bd.nuts_level in (2, 3) and bd.value is not null
    group by 1, 2, 3, 4
),

demography as (
    -- a region's NUTS-2 rows where it has them, else the sum of its NUTS-3 regions
    select * exclude (nuts_level)
    from demography_sections
    qualify nuts_level = min(nuts_level) over (partition by region_code, year, category_code)
),

category_demography as (
    select
        judged.profile,
        judged.year,
        judged.category_code,
        sum((demography.high_growth)::decimal(38, 12)) filter (where judged.is_specialised)::double
            / sum((demography.active)::decimal(38, 12)) filter (where judged.is_specialised)::double as high_growth_specialised,
        sum((demography.high_growth)::decimal(38, 12)) filter (where not judged.is_specialised)::double
            / sum((demography.active)::decimal(38, 12)) filter (where not judged.is_specialised)::double as high_growth_other,
        sum((demography.births)::decimal(38, 12)) filter (where judged.is_specialised)::double
            / sum((demography.active)::decimal(38, 12)) filter (where judged.is_specialised)::double as births_specialised,
        sum((demography.births)::decimal(38, 12)) filter (where not judged.is_specialised)::double
            / sum((demography.active)::decimal(38, 12)) filter (where not judged.is_specialised)::double as births_other,
        sum((judged.employment)::decimal(38, 12)) filter (where judged.is_specialised)::double as weight,
        count(*) filter (where judged.is_specialised) as specialised_cells,
        count(*) filter (where not judged.is_specialised) as other_cells,
    from judged
    join demography using (region_code, category_code, year)
    where demography.active > 0
    group by judged.profile, judged.year, judged.category_code
),

demography_differences as (
    select
        profile,
        year,
        measure,
        sum((weight * specialised)::decimal(38, 12)) filter (where specialised is not null and other > 0)::double
            / sum((weight)::decimal(38, 12)) filter (where specialised is not null and other > 0)::double as specialised_value,
        sum((weight * other)::decimal(38, 12)) filter (where specialised is not null and other > 0)::double
            / sum((weight)::decimal(38, 12)) filter (where specialised is not null and other > 0)::double as other_value,
        sum((weight * (specialised / other - 1))::decimal(38, 12)) filter (where specialised is not null and other > 0)::double
            / sum((weight)::decimal(38, 12)) filter (where specialised is not null and other > 0)::double as value,
        count(*) filter (where specialised is not null and other > 0) as categories,
        sum((specialised_cells)::decimal(38, 12)) filter (where specialised is not null and other > 0)::double as specialised_cells,
        sum((other_cells)::decimal(38, 12)) filter (where specialised is not null and other > 0)::double as other_cells,
    from (
        select profile, year, weight, specialised_cells, other_cells, 'high_growth_share_difference' as measure,
            high_growth_specialised as specialised, high_growth_other as other,
        from category_demography
        union all
        select profile, year, weight, specialised_cells, other_cells, 'birth_rate_difference',
            births_specialised, births_other,
        from category_demography
    )
    group by profile, year, measure
),

years as (
    select distinct profile, year from judged
),

level_rows as (
    select
        shares.profile, 'jobs_share' as measure, shares.year as year_start, shares.year as year_end,
        shares.specialised_employment / totals.total_employment as value,
        shares.specialised_employment as specialised_value, totals.total_employment as other_value,
        null::bigint as categories, shares.specialised_cells, shares.other_cells,
        case when totals.total_employment is null then 'no business-economy employment total for the year' end as note,
    from shares
    left join totals using (year)
    union all by name
    select
        shares.profile, 'wages_share' as measure, shares.year as year_start, shares.year as year_end,
        shares.specialised_wages_meur / totals.total_wages_meur as value,
        shares.specialised_wages_meur as specialised_value, totals.total_wages_meur as other_value,
        shares.specialised_cells, shares.other_cells,
        case when totals.total_wages_meur is null then 'no business-economy wages total for the year' end as note,
    from shares
    left join totals using (year)
    union all by name
    select
        profile, 'wage_premium' as measure, year as year_start, year as year_end, wage_premium as value,
        specialised_value, other_value, categories, specialised_cells, other_cells,
        case when wage_premium is null then 'no category has wages for both specialised and other cells' end as note,
    from premiums
    union all by name
    select
        premiums.profile, 'wage_premium_without_wage_stars' as measure, premiums.year as year_start,
        premiums.year as year_end, premiums.wage_premium_without_wage_stars as value, premiums.categories,
        'specialised: a star other than those on pay (' || (
            select string_agg(star, ', ' order by star) from wage_stars where wage_stars.profile = premiums.profile
        ) || ')' as note,
    from premiums
    join profiles using (profile)
    where profiles.has_wage_star
    union all by name
    select
        profile, 'wage_premium_all_cells' as measure, year as year_start, year as year_end,
        specialised_value / other_value - 1 as value, specialised_value, other_value,
        'star cells against all other cells, industries mixed' as note,
    from all_cells_premium
),

demography_rows as (
    select
        years.profile, measures.measure, years.year as year_start, years.year as year_end,
        differences.value, differences.specialised_value, differences.other_value, differences.categories,
        differences.specialised_cells, differences.other_cells,
        case when differences.value is null
            then 'not computable: bd_hgnace2_r3 has no rows by NACE section (or finer) and NUTS-2/3 region for the year'
        end as note,
    from years
    cross join (values ('high_growth_share_difference'), ('birth_rate_difference')) as measures (measure)
    left join demography_differences as differences
        on differences.profile = years.profile and differences.year = years.year
        and differences.measure = measures.measure
),

growth_rows as (
    select
        profile, measure, window_start as year_start, window_end as year_end, value, specialised_value, other_value,
        categories, specialised_cells, other_cells,
        case when value is null then 'no category has unbroken cells in both groups over the window' end as note,
    from growth
),

frontier_rows as (
    select
        profile, 'frontier_firms_difference' as measure, year as year_start, year as year_end,
        'not computable: frontier firms are defined on firm-level productivity (the Observatory used Orbis), '
            || 'which Eurostat''s regional tables do not carry' as note,
    from years
),

seed as (
    select * from (values
        ('jobs_share', 0.19),
        ('wages_share', 0.22),
        ('wage_premium', 0.135),
        ('wage_premium_without_wage_stars', 0.135),
        ('wage_premium_all_cells', 0.135),
        ('wage_growth_difference_pp', 0.7),
        ('employment_growth_difference_pp', 0.5),
        ('high_growth_share_difference', 0.77),
        ('birth_rate_difference', 1.41),
        ('frontier_firms_difference', 1.43)
    ) as seed (measure, seed_value)
),

final as (
    select
        rows.profile,
        rows.measure,
        rows.year_start::smallint as year_start,
        rows.year_end::smallint as year_end,
        rows.value::double as value,
        rows.specialised_value::double as specialised_value,
        rows.other_value::double as other_value,
        rows.categories::integer as categories,
        rows.specialised_cells::integer as specialised_cells,
        rows.other_cells::integer as other_cells,
        seed.seed_value::double as seed_value,
        rows.note,
    from (
        select * from level_rows
        union all by name select * from demography_rows
        union all by name select * from growth_rows
        union all by name select * from frontier_rows
    ) as rows
    left join seed using (measure)
)

select * from final
