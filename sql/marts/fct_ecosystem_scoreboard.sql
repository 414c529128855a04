-- Regional ecosystem scoreboard: per dimension the composite (unweighted mean of the region's indicator
-- scores), and an overall composite (mean of the dimension composites, weighted by
-- scoreboard.dimension_weights); each with an index against the regions' average (= 100), the rank among
-- the regions of the year (1 = best), the change since the previous edition (year), and, from the index,
-- the performance group: leader above scoreboard.leader_index (125), strong above strong_index (100),
-- moderate above moderate_index (70), emerging below. Sums are exact DECIMALs (identical reruns).
-- One row per region x dimension (or 'overall') x year.
with scores as (
    select * from marts.fct_ecosystem_indicators
    where score is not null
),

weights as (
    select * from config.scoreboard_weights
),

dimensions as (
    select
        region_code,
        year,
        dimension,
        (sum(score::decimal(38, 12)) / count(*))::double as composite,
        count(*) as n_indicators,
        count(*) filter (where is_carried or is_from_parent) as n_filled_indicators,
    from scores
    group by region_code, year, dimension
),

overall as (
    select
        dimensions.region_code,
        dimensions.year,
        'overall' as dimension,
        (
            sum((dimensions.composite * weights.weight)::decimal(38, 12))
            / nullif(sum(weights.weight::decimal(38, 12)), 0)
        )::double as composite,
        sum(dimensions.n_indicators)::bigint as n_indicators,
        sum(dimensions.n_filled_indicators)::bigint as n_filled_indicators,
    from dimensions
    join weights using (dimension)
    where weights.weight > 0
    group by dimensions.region_code, dimensions.year
),

composites as (
    select * from dimensions
    union all
    select * from overall
),

indexed as (
    select
        *,
        100 * composite / nullif(
            (sum(composite::decimal(38, 12)) over by_year / count(composite) over by_year)::double, 0
        ) as composite_index,
        rank() over (partition by dimension, year order by composite desc) as rank,
        lag(year) over (partition by region_code, dimension order by year) as previous_year,
        composite - lag(composite) over (partition by region_code, dimension order by year)
            as change_since_previous,
    from composites
    window by_year as (partition by dimension, year)
),

final as (
    select
        region_code,
        year,
        dimension,
        composite,
        composite_index,
        case
            when composite_index > getvariable('scoreboard_leader_index') then 'leader'
            when composite_index > getvariable('scoreboard_strong_index') then 'strong'
            when composite_index > getvariable('scoreboard_moderate_index') then 'moderate'
            when composite_index is not null then 'emerging'
        end as performance_group,
        rank,
        previous_year::smallint as previous_year,
        change_since_previous,
        n_indicators,
        n_filled_indicators,
    from indexed
)

select * from final
