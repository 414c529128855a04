-- Business-economy totals per NUTS-2 region and year (region codes in each dataset's NUTS version; the
-- scope follows the SBS regime of the year), chosen per region-year and measure: the total Eurostat
-- publishes (B-N_S95_X_K, B-S_X_O_S94) where it does; otherwise the sum of the total's parts
-- (ref.sbs_total_scopes: its sections and divisions S95/S96) when every part is known, published or
-- estimated down the NUTS tree (int_sbs_parts__estimated). `total_source` says which, for employment:
-- `reported`, `derived_from_parts` (all parts published) or `derived_with_estimates` (some estimated;
-- `total_estimated_share` of the employment total), NULL when neither is possible.
-- One row per region (source NUTS code) x year.
-- Partitioned: country (a country's rows come from its own regions' rows only)
with reported as (
    select
        region_code,
        year,
        any_value(country_code) as country_code,
        any_value(dataset) as dataset,
        any_value(indicator_scheme) as indicator_scheme,
        max(value) filter (where measure = 'employment') as employment,
        max(value) filter (where measure = 'local_units') as local_units,
        max(value) filter (where measure = 'wages_meur') as wages_meur,
    from intermediate.int_sbs__unioned
    where is_business_economy_total
    group by region_code, year
),

-- Every region-year that reports anything, with its regime.
region_years as (
    select region_code, year, any_value(country_code) as country_code, any_value(dataset) as dataset,
        any_value(indicator_scheme) as indicator_scheme,
    from intermediate.int_sbs__unioned
    group by region_code, year
),

-- The sum of the parts, per measure, where every part is known.
derived as (
    select
        region_code,
        year,
        measure,
        sum(value::decimal(38, 12))::double as total,
        coalesce(sum(value::decimal(38, 12)) filter (where is_estimated_part), 0)::double
            / nullif(sum(value::decimal(38, 12)), 0)::double as estimated_share,
        bool_or(is_estimated_part) as has_estimates,
    from intermediate.int_sbs_parts__estimated
    group by region_code, year, measure
    having count(value) = count(*)
),

final as (
    select
        region_years.region_code,
        region_years.country_code,
        region_years.year,
        region_years.dataset,
        region_years.indicator_scheme,
        coalesce(reported.employment, employment.total) as total_employment,
        coalesce(reported.local_units, local_units.total) as total_local_units,
        coalesce(reported.wages_meur, wages.total) as total_wages_meur,
        case
            when reported.employment is not null then 'reported'
            when employment.total is not null and employment.has_estimates then 'derived_with_estimates'
            when employment.total is not null then 'derived_from_parts'
        end as total_source,
        case
            when reported.employment is not null then 0
            else employment.estimated_share
        end as total_estimated_share,
    from region_years
    left join reported using (region_code, year)
    left join derived as employment
        on employment.region_code = region_years.region_code
        and employment.year = region_years.year
        and employment.measure = 'employment'
    left join derived as local_units
        on local_units.region_code = region_years.region_code
        and local_units.year = region_years.year
        and local_units.measure = 'local_units'
    left join derived as wages
        on wages.region_code = region_years.region_code
        and wages.year = region_years.year
        and wages.measure = 'wages_meur'
)

select * from final
