-- Both SBS regimes stacked, NUTS-2 regions only (extra-regio dropped); the regime stays on every row.
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
        dataset,
        indicator_scheme,
    from unioned
    where nuts_level = 2 and not is_extra_regio
)

select * from final
