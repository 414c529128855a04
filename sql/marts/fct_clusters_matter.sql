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
-- start-ups for birth_rate_difference, the closest measure Eurostat has). Levels are per year (window_start = window_end).
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
        stars.star_profile as profile,
        stars.region_code,
        stars.category_code,
        stars.year,
        coalesce(bool_or(stars.is_star), false) as is_specialised,
        coalesce(bool_or(stars.is_star) filter (where wage_stars.star is null), false) as is_specialised_without_wage_stars,
    from marts.fct_cluster_stars as stars
    left join wage_stars on wage_stars.profile = stars.star_profile and wage_stars.star = stars.star
    group by stars.star_profile, stars.region_code, stars.category_code, stars.year
),

judged as (
    select stars.profile, stars.is_specialised, stars.is_specialised_without_wage_stars, cells.*,
    from cells
    join stars using (region_code, category_code, year)
),

years as (
    select distinct profile, year from judged
),

-- the business economy of the regions with cluster cells that year
totals as (
    select
        year,
        sum(total_employment::decimal(38, 12))::double as total_employment,
        sum(total_wages_meur::decimal(38, 12))::double as total_wages_meur,
    from intermediate.int_region_year__totals
    where (region_code, year) in (select distinct region_code, year from cells)
    group by year
),

shares as (
    select
        profile,
        year,
        sum(employment::decimal(38, 12)) filter (where is_specialised)::double as specialised_employment,
        sum(wages_meur::decimal(38, 12)) filter (where is_specialised)::double as specialised_wages_meur,
        count(*) filter (where is_specialised) as specialised_cells,
        count(*) filter (where not is_specialised) as other_cells,
    from judged
    group by profile, year
),

-- Average wage (EUR) by category and group, over the cells with wages; `_nw`: specialised by stars not on pay.
category_pay as (
    select
        profile,
        year,
        category_code,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where is_specialised)::double
            / sum(employment::decimal(38, 12)) filter (where is_specialised)::double as wage_specialised,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where not is_specialised)::double
            / sum(employment::decimal(38, 12)) filter (where not is_specialised)::double as wage_other,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where is_specialised_without_wage_stars)::double
            / sum(employment::decimal(38, 12)) filter (where is_specialised_without_wage_stars)::double
            as wage_specialised_nw,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where not is_specialised_without_wage_stars)::double
            / sum(employment::decimal(38, 12)) filter (where not is_specialised_without_wage_stars)::double
            as wage_other_nw,
        sum(employment::decimal(38, 12)) filter (where is_specialised)::double as weight,
        sum(employment::decimal(38, 12)) filter (where is_specialised_without_wage_stars)::double as weight_nw,
        count(*) filter (where is_specialised) as specialised_cells,
        count(*) filter (where not is_specialised) as other_cells,
        count(*) filter (where is_specialised_without_wage_stars) as specialised_cells_nw,
        count(*) filter (where not is_specialised_without_wage_stars) as other_cells_nw,
    from judged
    where wages_meur is not null
    group by profile, year, category_code
),

all_cells_premium as (
    select
        profile,
        year,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where is_specialised)::double
            / sum(employment::decimal(38, 12)) filter (where is_specialised)::double as specialised_value,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where not is_specialised)::double
            / sum(employment::decimal(38, 12)) filter (where not is_specialised)::double as other_value,
    from judged
    where wages_meur is not null
    group by profile, year
),

-- Growth over each window, cells without a break, grouped by their stars at the window's start; wages
-- (and the employment they are paid to) only where both ends have them (no break: both ends employ someone).
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
        trends.avg_wage_eur_start > 0 and trends.avg_wage_eur_end > 0 as is_paid,
        case when is_paid then trends.avg_wage_eur_start * trends.employment_start end as wages_start,
        case when is_paid then trends.avg_wage_eur_end * trends.employment_end end as wages_end,
        case when is_paid then trends.employment_start end as paid_employment_start,
        case when is_paid then trends.employment_end end as paid_employment_end,
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
        is_specialised,
        power(
            sum(employment_end::decimal(38, 12))::double / sum(employment_start::decimal(38, 12))::double,
            1.0 / (window_end - window_start)
        ) - 1 as employment_growth,
        power(
            (sum(wages_end::decimal(38, 12))::double / sum(paid_employment_end::decimal(38, 12))::double)
                / (sum(wages_start::decimal(38, 12))::double / sum(paid_employment_start::decimal(38, 12))::double),
            1.0 / (window_end - window_start)
        ) - 1 as wage_growth,
        sum(employment_start::decimal(38, 12))::double as employment_start,
        count(*) as cells,
    from trend_cells
    group by profile, category_code, window_start, window_end, is_specialised
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
        judged.is_specialised,
        sum(demography.high_growth::decimal(38, 12))::double / sum(demography.active::decimal(38, 12))::double
            as high_growth_share,
        sum(demography.births::decimal(38, 12))::double / sum(demography.active::decimal(38, 12))::double
            as birth_rate,
        sum(judged.employment::decimal(38, 12))::double as employment,
        count(*) as cells,
    from judged
    join demography using (region_code, category_code, year)
    where demography.active > 0
    group by judged.profile, judged.year, judged.category_code, judged.is_specialised
),

-- Every measure compared within category: the specialised cells' value and the other cells', the weight
-- (the specialised cells' employment) and how the two are compared: `ratio` (specialised / other - 1) or
-- `points` (100 x the difference).
category_comparisons as (
    select profile, 'wage_premium' as measure, 'ratio' as kind, year as window_start, year as window_end,
        wage_specialised as specialised, wage_other as other, weight, specialised_cells, other_cells,
    from category_pay
    union all
    select profile, 'wage_premium_without_wage_stars', 'ratio', year, year,
        wage_specialised_nw, wage_other_nw, weight_nw, specialised_cells_nw, other_cells_nw,
    from category_pay
    where profile in (select profile from wage_stars)
    union all
    select profile, measure, 'points', window_start, window_end,
        any_value(growth) filter (where is_specialised), any_value(growth) filter (where not is_specialised),
        any_value(employment_start) filter (where is_specialised),
        coalesce(any_value(cells) filter (where is_specialised), 0),
        coalesce(any_value(cells) filter (where not is_specialised), 0),
    from (
        select *, 'employment_growth_difference_pp' as measure, employment_growth as growth, from category_growth
        union all
        select *, 'wage_growth_difference_pp', wage_growth, from category_growth
    )
    group by profile, measure, category_code, window_start, window_end
    union all
    select profile, measure, 'ratio', year, year,
        any_value(rate) filter (where is_specialised), any_value(rate) filter (where not is_specialised),
        any_value(employment) filter (where is_specialised),
        coalesce(any_value(cells) filter (where is_specialised), 0),
        coalesce(any_value(cells) filter (where not is_specialised), 0),
    from (
        select *, 'high_growth_share_difference' as measure, high_growth_share as rate, from category_demography
        union all
        select *, 'birth_rate_difference', birth_rate, from category_demography
    )
    group by profile, measure, category_code, year
),

compared as (
    select
        *,
        case kind
            when 'points' then 100 * (specialised - other)
            else case when other > 0 then specialised / other - 1 end
        end as difference,
        case when difference is not null then weight end as comparable_weight,
    from category_comparisons
),

-- A category counts where both sides have a value; the measure is the employment-weighted mean over them.
comparisons as (
    select
        profile,
        measure,
        window_start,
        window_end,
        sum((comparable_weight * difference)::decimal(38, 12))::double
            / sum(comparable_weight::decimal(38, 12))::double as value,
        sum((comparable_weight * specialised)::decimal(38, 12))::double
            / sum(comparable_weight::decimal(38, 12))::double as specialised_value,
        sum((comparable_weight * other)::decimal(38, 12))::double
            / sum(comparable_weight::decimal(38, 12))::double as other_value,
        count(difference) as categories,
        sum(specialised_cells) filter (where difference is not null) as specialised_cells,
        sum(other_cells) filter (where difference is not null) as other_cells,
    from compared
    group by profile, measure, window_start, window_end
),

level_rows as (
    select
        shares.profile, 'jobs_share' as measure, shares.year as window_start, shares.year as window_end,
        shares.specialised_employment / totals.total_employment as value,
        shares.specialised_employment as specialised_value, totals.total_employment as other_value,
        shares.specialised_cells, shares.other_cells,
        case when totals.total_employment is null then 'no business-economy employment total for the year' end as note,
    from shares
    left join totals using (year)
    union all by name
    select
        shares.profile, 'wages_share' as measure, shares.year as window_start, shares.year as window_end,
        shares.specialised_wages_meur / totals.total_wages_meur as value,
        shares.specialised_wages_meur as specialised_value, totals.total_wages_meur as other_value,
        shares.specialised_cells, shares.other_cells,
        case when totals.total_wages_meur is null then 'no business-economy wages total for the year' end as note,
    from shares
    left join totals using (year)
    union all by name
    select
        profile, 'wage_premium_all_cells' as measure, year as window_start, year as window_end,
        specialised_value / other_value - 1 as value, specialised_value, other_value,
        'star cells against all other cells, industries mixed' as note,
    from all_cells_premium
),

-- The demography measures for every profile and year, computed or not (the note says why not).
demography_spine as (
    select years.profile, measures.measure, years.year as window_start, years.year as window_end,
    from years
    cross join (values ('high_growth_share_difference'), ('birth_rate_difference')) as measures (measure)
),

comparison_rows as (
    select
        *,
        case
            when measure = 'wage_premium_without_wage_stars' then 'specialised: a star other than those on pay ('
                || (select string_agg(star, ', ' order by star) from wage_stars where wage_stars.profile = rows.profile)
                || ')'
            when value is not null then null
            when measure = 'wage_premium' then 'no category has wages for both specialised and other cells'
            when measure like '%growth_difference_pp' then 'no category has unbroken cells in both groups over the window'
            else 'not computable: bd_hgnace2_r3 has no rows by NACE section (or finer) and NUTS-2/3 region for the year'
        end as note,
    from (
        select * from comparisons where measure not in (select measure from demography_spine)
        union all by name
        select * from demography_spine left join comparisons using (profile, measure, window_start, window_end)
    ) as rows
),

frontier_rows as (
    select
        profile, 'frontier_firms_difference' as measure, year as window_start, year as window_end,
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
        rows.profile as star_profile,
        rows.measure,
        rows.window_start::smallint as window_start,
        rows.window_end::smallint as window_end,
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
        union all by name select * from comparison_rows
        union all by name select * from frontier_rows
    ) as rows
    left join seed using (measure)
)

select * from final
