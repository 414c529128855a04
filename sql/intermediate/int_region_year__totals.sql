-- Business-economy totals per NUTS-2 region and year (scope follows the SBS regime of the year).
-- One row per region x year.
with totals as (
    select * from intermediate.int_sbs__unioned
    where is_business_economy_total
),

traded as (
    select
        region_code,
        year,
        sum(employment::decimal(38, 12))::double as traded_employment,
    from intermediate.int_cluster_region_year__mapped
    where category_code in (select category_code from ref.cluster_categories where category_type = 'traded')
    group by region_code, year
),

pivoted as (
    select
        region_code,
        any_value(country_code) as country_code,
        year,
        any_value(dataset) as dataset,
        any_value(indicator_scheme) as indicator_scheme,
        max(value) filter (where measure = 'employment') as total_employment,
        max(value) filter (where measure = 'local_units') as total_local_units,
        max(value) filter (where measure = 'wages_meur') as total_wages_meur,
    from totals
    group by region_code, year
),

final as (
    select
        pivoted.*,
        traded.traded_employment,
    from pivoted
    left join traded using (region_code, year)
)

select * from final
