-- Both SBS regimes stacked, NUTS-2 regions only (extra-regio dropped), and only the years a region reports
-- in (int_sbs_region_years__reporting: a code of another NUTS version, present in a real file with its
-- cells empty or nearly so in the years it was not in use, takes no part); the regime stays on every row.
-- One row per region x NACE code x year x measure.
-- Materialized: view (read once, by the next model: writing 9 million rows costs more than recomputing)
-- Partitioned: country (a country's rows come from its own regions' rows only)
with legacy as (
    select * from staging.stg_sbs_r_nuts06_r2
),

ebs as (
    select * from staging.stg_sbs_r_nuts2021
),

unioned as (
    select * from legacy
    union all by name
    select * from ebs
),

reporting as (
    select dataset, geo_code, year from intermediate.int_sbs_region_years__reporting
),

final as (
    select
        geo_code as region_code,
        left(geo_code, 2) as country_code,
        nace_code,
        is_business_economy_total,
        year,
        measure,
        value,
        flags,
        is_confidential,
        is_provisional,
        is_estimated,
        is_break,
        coalesce(contains(flags, 'd'), false) as is_definition_differs,
        dataset,
        indicator_scheme,
    from unioned
    semi join reporting using (dataset, geo_code, year)
    where nuts_level = 2 and not is_extra_regio
)

select * from final
