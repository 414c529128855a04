-- Ecosystem indicator values for every scored region (NUTS 2; NUTS 1 in the countries of
-- scoreboard.nuts1_countries), indicator and year the indicator has data for, gaps
-- filled by the documented rule: the region's own value of the year; else its latest value at most
-- scoreboard_max_carry_years older (is_carried); else its NUTS-1 region's value by the same rule
-- (is_from_parent). source_year says which year the value is from. Regions are those of the target NUTS
-- version (int_ecosystem_indicators__harmonised).
-- One row per scored region x indicator x year.
with harmonised as (
    select * from intermediate.int_ecosystem_indicators__harmonised
),

computed as (
    select * from harmonised
    where value is not null
),

-- The units scored: NUTS-2 regions, and NUTS-1 regions in the countries of scoreboard.nuts1_countries.
regions as (
    select distinct
        case when list_contains(getvariable('scoreboard_nuts1_countries'), left(region_code, 2))
            then left(region_code, 3) else region_code end as region_code,
    from harmonised
    where nuts_level = 2
    union
    select distinct region_code from harmonised
    where nuts_level = 1 and list_contains(getvariable('scoreboard_nuts1_countries'), left(region_code, 2))
),

indicator_years as (
    select distinct indicator_code, year from computed
),

spine as (
    select regions.region_code, left(regions.region_code, 3) as parent_code, indicator_years.indicator_code,
        indicator_years.year,
    from regions
    cross join indicator_years
),

own as (
    select spine.*, computed.value as own_value, computed.year as own_year,
    from spine
    asof left join computed
        on computed.region_code = spine.region_code
        and computed.indicator_code = spine.indicator_code
        and computed.year <= spine.year
),

with_parent as (
    select own.*, computed.value as parent_value, computed.year as parent_year,
    from own
    asof left join computed
        on computed.region_code = own.parent_code
        and computed.indicator_code = own.indicator_code
        and computed.year <= own.year
),

chosen as (
    select
        *,
        coalesce(own_year >= year - getvariable('scoreboard_max_carry_years'), false) as use_own,
        coalesce(parent_year >= year - getvariable('scoreboard_max_carry_years'), false) as parent_usable,
    from with_parent
),

final as (
    select
        region_code,
        indicator_code,
        year,
        case when use_own then own_value when parent_usable then parent_value end as value,
        case when use_own then own_year when parent_usable then parent_year end::smallint as source_year,
        coalesce(source_year < year, false) as is_carried,
        not use_own and parent_usable as is_from_parent,
    from chosen
)

select * from final
