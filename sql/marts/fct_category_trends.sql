-- European totals of each cluster category over the trend windows: employment over all NUTS-2 regions
-- loaded (CAGR and change), with the number of regions behind each endpoint. No growth across the SBS
-- 2020/2021 regime change or from a missing endpoint (break_reason).
-- One row per category x window.
with cells as (
    select * from marts.fct_cluster_region_year
),

europe as (
    select
        category_code,
        any_value(category_type) as category_type,
        year,
        any_value(indicator_scheme) as indicator_scheme,
        sum(employment::decimal(38, 12))::double as employment,
        count(employment) as n_regions,
    from cells
    group by category_code, year
),

windows as (
    select * from intermediate.int_trend_windows__resolved
),

categories as (
    select distinct category_code, category_type from europe
),

endpoints as (
    select
        categories.category_code,
        categories.category_type,
        windows.window_start,
        windows.window_end,
        windows.window_kind,
        first_year.employment as employment_start,
        last_year.employment as employment_end,
        first_year.n_regions as n_regions_start,
        last_year.n_regions as n_regions_end,
        first_year.indicator_scheme as scheme_start,
        last_year.indicator_scheme as scheme_end,
    from categories
    cross join windows
    left join europe as first_year
        on first_year.category_code = categories.category_code and first_year.year = windows.window_start
    left join europe as last_year
        on last_year.category_code = categories.category_code and last_year.year = windows.window_end
),

final as (
    select
        category_code,
        category_type,
        window_start,
        window_end,
        window_kind,
        employment_start,
        employment_end,
        n_regions_start,
        n_regions_end,
        case
            when scheme_start is null or scheme_end is null then 'missing_endpoint'
            when scheme_start <> scheme_end then 'sbs_regime_change_2020_2021'
            when not (employment_start > 0 and employment_end > 0) then 'non_positive_endpoint'
        end as break_reason,
        case when break_reason is null
            then power(employment_end / employment_start, 1.0 / (window_end - window_start)) - 1
        end as employment_cagr,
        case when break_reason is null then employment_end - employment_start end as employment_change,
    from endpoints
)

select * from final
