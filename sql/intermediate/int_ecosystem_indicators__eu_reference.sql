-- The EU = 100 of each ecosystem indicator and year: the value of Eurostat's own EU aggregate where the
-- extracts carry one (setting scoreboard.eu_aggregates, the first in its order that has a value), computed
-- from the staged aggregate rows as a region's value is. Indicators and years without one (the SBS-based
-- indicators, a dataset published without aggregates) have no row: the regions' average is their 100.
-- One row per indicator x year.
with aggregates as (
    select
        computed.indicator_code,
        computed.year,
        computed.region_code as eu_aggregate_code,
        computed.value as eu_value,
        eu.preference,
    from intermediate.int_ecosystem_indicators__computed as computed
    join config.eu_aggregates as eu on eu.geo_code = computed.region_code
    where computed.is_eu_aggregate and isfinite(computed.value)
),

final as (
    select indicator_code, year, eu_aggregate_code, eu_value,
    from aggregates
    qualify row_number() over (partition by indicator_code, year order by preference) = 1
)

select * from final
