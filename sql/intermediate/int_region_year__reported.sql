-- Business-economy totals per NUTS-2 region and year as the SBS extracts report them (region codes in
-- each dataset's NUTS version; the scope follows the SBS regime of the year).
-- One row per region (source NUTS code) x year.
-- Partitioned: country (a country's rows come from its own regions' rows only)
with totals as (
    select * from intermediate.int_sbs__unioned
    where is_business_economy_total
),

final as (
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
)

select * from final
