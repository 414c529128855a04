-- Cluster cells with the measures the stars are judged on: location quotient (denominator set by
-- lq_denominator: total or traded employment), focus (share of the region's employment), share of
-- European category employment, average wage, productivity (value added per person employed, where the
-- extracts carry value added); the region's and Europe's totals alongside.
-- One row per region x category x year.
with cells as (
    select * from intermediate.int_cluster_region_year__harmonised
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
        sum(total_employment::decimal(38, 12))::double as eu_total_employment,
        sum(traded_employment::decimal(38, 12))::double as eu_traded_employment,
    from region_totals
    group by year
),

with_reference as (
    select
        with_region.*,
        sum(with_region.employment::decimal(38, 12)) over (partition by category_code, year)::double
            as eu_category_employment,
        europe.eu_total_employment,
        case getvariable('lq_denominator')
            when 'traded' then europe.eu_traded_employment
            else europe.eu_total_employment
        end as eu_denominator,
    from with_region
    left join europe using (year)
),

final as (
    select
        * exclude (region_denominator, eu_denominator),
        (employment / nullif(region_denominator, 0))
            / nullif(eu_category_employment / nullif(eu_denominator, 0), 0) as lq,
        employment / nullif(region_total_employment, 0) as focus_share,
        employment / nullif(eu_category_employment, 0) as eu_category_share,
        1e6 * wages_meur / nullif(employment, 0) as avg_wage_eur,
        1e6 * value_added_meur / nullif(employment, 0) as productivity_eur,
        imputed_employment / nullif(employment, 0) as imputed_employment_share,
    from with_reference
)

select * from final
