-- The ecosystem indicators for people: fct_ecosystem_indicators with region and country names, the
-- indicator's label and unit from the catalogue, and the dimension's name.
-- One row per region x indicator x year.
-- Materialized: view (labels joined on read: nothing stored twice)
with indicators as (
    select * from marts.fct_ecosystem_indicators
),

catalogue as (
    select indicator_code, indicator_label, unit from ref.ecosystem_indicators
),

final as (
    select
        regions.region_name,
        regions.country_name,
        catalogue.indicator_label,
        catalogue.unit,
        upper(indicators.dimension[1]) || replace(indicators.dimension[2:], '_', ' ') as dimension_label,
        indicators.*,
    from indicators
    left join catalogue using (indicator_code)
    left join marts.dim_region as regions using (region_code)
)

select * from final
