-- Cluster mapping: employment, local units and wages per traded cluster category in each NUTS-2 region,
-- with location quotient, focus, European shares and the classic European Cluster Observatory stars.
-- One row per region x category x year.
with cells as (
    select * from intermediate.int_cluster_region_year__mapped
),

region_totals as (
    select * from intermediate.int_region_year__totals
),

with_region as (
    select
        cells.*,
        region_totals.total_employment as region_total_employment,
        region_totals.traded_employment as region_traded_employment,
        case getvariable('lq_denominator')
            when 'traded' then region_totals.traded_employment
            else region_totals.total_employment
        end as region_denominator,
    from cells
    left join region_totals using (region_code, year)
),

europe as (
    select
        year,
        sum(total_employment::decimal(38, 6))::double as eu_total_employment,
        sum(traded_employment::decimal(38, 6))::double as eu_traded_employment,
    from region_totals
    group by year
),

with_reference as (
    select
        with_region.*,
        sum(with_region.employment::decimal(38, 6)) over (partition by category_code, year)::double
            as eu_category_employment,
        europe.eu_total_employment,
        case getvariable('lq_denominator')
            when 'traded' then europe.eu_traded_employment
            else europe.eu_total_employment
        end as eu_denominator,
    from with_region
    left join europe using (year)
),

measured as (
    select
        *,
        (employment / nullif(region_denominator, 0))
            / nullif(eu_category_employment / nullif(eu_denominator, 0), 0) as lq,
        employment / nullif(region_total_employment, 0) as focus_share,
        employment / nullif(eu_category_employment, 0) as eu_category_share,
        1e6 * wages_meur / nullif(employment, 0) as avg_wage_eur,
    from with_reference
),

thresholds as (
    select
        category_code,
        year,
        quantile_cont(employment, 1 - getvariable('size_top_share')) as size_threshold,
        quantile_cont(focus_share, 1 - getvariable('focus_top_share')) as focus_threshold,
    from measured
    group by category_code, year
),

starred as (
    select
        measured.*,
        coalesce(measured.employment >= thresholds.size_threshold, false)::tinyint as size_star,
        coalesce(measured.lq >= getvariable('specialisation_min_lq'), false)::tinyint as specialisation_star,
        coalesce(measured.focus_share >= thresholds.focus_threshold, false)::tinyint as focus_star,
    from measured
    join thresholds using (category_code, year)
),

final as (
    select
        region_code,
        country_code,
        category_code,
        year,
        dataset,
        indicator_scheme,
        employment,
        local_units,
        wages_meur,
        avg_wage_eur,
        region_total_employment,
        region_traded_employment,
        eu_category_employment,
        eu_total_employment,
        lq,
        focus_share,
        eu_category_share,
        size_star,
        specialisation_star,
        focus_star,
        (size_star + specialisation_star + focus_star)::tinyint as star_count,
        n_missing_employment_cells,
        n_confidential_employment_cells,
        has_break_flag,
        has_estimated_flag,
        has_provisional_flag,
    from starred
)

select * from final
