-- "Clusters matter" headline comparisons (EOCIC Panorama style) of star cells, those with at least one star
-- in a profile, against all other region-category cells of the traded categories (emerging industries overlap them): share of jobs in star cells, average wage premium,
-- and the differences in annual wage and employment growth (percentage points). Growth is the aggregate
-- growth of each group from the previous year, with cells grouped by their stars in that previous year,
-- over cells present in both years in the same SBS regime.
-- One row per star profile x year.
with cells as (
    select * from intermediate.int_cluster_region_year__measured
),

stars as (
    select region_code, category_code, year, profile, count(*) filter (where is_star) as star_count,
    from marts.fct_cluster_stars
    group by all
),

judged as (
    select
        stars.profile,
        cells.region_code,
        cells.category_code,
        cells.year,
        cells.indicator_scheme,
        cells.employment,
        cells.wages_meur,
        stars.star_count > 0 as is_star_cell,
    from cells
    join stars using (region_code, category_code, year)
    join ref.cluster_categories as categories using (category_code)
    where cells.employment > 0 and categories.category_type = 'traded'
),

levels as (
    select
        profile,
        year,
        count(*) filter (where is_star_cell) as star_cells,
        count(*) filter (where not is_star_cell) as other_cells,
        sum(employment::decimal(38, 12)) filter (where is_star_cell)::double as star_employment,
        sum(employment::decimal(38, 12))::double as employment,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where is_star_cell and wages_meur is not null)::double
            / nullif(sum(employment::decimal(38, 12)) filter (where is_star_cell and wages_meur is not null), 0)::double
            as avg_wage_star_eur,
        1e6 * sum(wages_meur::decimal(38, 12)) filter (where not is_star_cell and wages_meur is not null)::double
            / nullif(sum(employment::decimal(38, 12)) filter (where not is_star_cell and wages_meur is not null), 0)::double
            as avg_wage_other_eur,
    from judged
    group by profile, year
),

pairs as (
    select
        base.profile,
        this.year,
        base.is_star_cell,
        base.employment as employment_before,
        this.employment as employment_now,
        base.wages_meur as wages_before,
        this.wages_meur as wages_now,
    from judged as base
    join judged as this
        on this.profile = base.profile
        and this.region_code = base.region_code
        and this.category_code = base.category_code
        and this.year = base.year + 1
        and this.indicator_scheme = base.indicator_scheme
),

group_sums as (
    select
        profile,
        year,
        is_star_cell,
        sum(employment_before::decimal(38, 12))::double as employment_before,
        sum(employment_now::decimal(38, 12))::double as employment_now,
        sum(wages_before::decimal(38, 12)) filter (where wages_before is not null and wages_now is not null)::double
            as wages_before,
        sum(wages_now::decimal(38, 12)) filter (where wages_before is not null and wages_now is not null)::double
            as wages_now,
        sum(employment_before::decimal(38, 12)) filter (where wages_before is not null and wages_now is not null)::double
            as paid_employment_before,
        sum(employment_now::decimal(38, 12)) filter (where wages_before is not null and wages_now is not null)::double
            as paid_employment_now,
    from pairs
    group by all
),

group_growth as (
    select
        profile,
        year,
        is_star_cell,
        employment_now / nullif(employment_before, 0) - 1 as employment_growth,
        (wages_now / nullif(paid_employment_now, 0)) / nullif(wages_before / nullif(paid_employment_before, 0), 0) - 1
            as wage_growth,
    from group_sums
),

growth as (
    select
        profile,
        year,
        max(employment_growth) filter (where is_star_cell) as employment_growth_star,
        max(employment_growth) filter (where not is_star_cell) as employment_growth_other,
        max(wage_growth) filter (where is_star_cell) as wage_growth_star,
        max(wage_growth) filter (where not is_star_cell) as wage_growth_other,
    from group_growth
    group by profile, year
),

final as (
    select
        levels.profile,
        levels.year,
        levels.star_cells,
        levels.other_cells,
        levels.star_employment,
        levels.employment,
        levels.star_employment / nullif(levels.employment, 0) as star_jobs_share,
        levels.avg_wage_star_eur,
        levels.avg_wage_other_eur,
        levels.avg_wage_star_eur / nullif(levels.avg_wage_other_eur, 0) - 1 as wage_premium,
        growth.wage_growth_star,
        growth.wage_growth_other,
        100 * (growth.wage_growth_star - growth.wage_growth_other) as wage_growth_difference_pp,
        growth.employment_growth_star,
        growth.employment_growth_other,
        100 * (growth.employment_growth_star - growth.employment_growth_other)
            as employment_growth_difference_pp,
    from levels
    left join growth using (profile, year)
)

select * from final
