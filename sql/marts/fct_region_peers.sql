-- Peer regions: for each NUTS-2 region and year, the scoreboard.peer_count regions nearest to it on the
-- structural indicators listed in scoreboard.peer_variables (each standardised over the regions taking
-- part that year; Euclidean distance). Only the variables the run has that year count (one whose dataset
-- is absent is left out, meta.indicator_availability), and only regions with a value of each take part.
-- One row per region x year x peer rank.
with variables as (
    select indicators.region_code, indicators.year, indicators.indicator_code, indicators.value,
    from marts.fct_ecosystem_indicators as indicators
    where indicators.indicator_code in (select indicator_code from config.peer_variables)
        and indicators.value is not null
),

-- The peer variables the run has that year (a variable from an absent dataset is left out).
available as (
    select year, count(distinct indicator_code) as n_variables,
    from variables
    group by year
),

complete as (
    select variables.region_code, variables.year,
    from variables
    join available using (year)
    group by variables.region_code, variables.year
    having count(*) = any_value(available.n_variables)
),

-- Means and standard deviations as exact DECIMAL sums, so that two runs give identical results.
moments as (
    select
        variables.indicator_code,
        variables.year,
        (sum(variables.value::decimal(38, 12)) / count(*))::double as mean_value,
        count(*) as n_values,
    from variables
    semi join complete using (region_code, year)
    group by variables.indicator_code, variables.year
),

spread as (
    select
        moments.indicator_code,
        moments.year,
        any_value(moments.mean_value) as mean_value,
        sqrt(
            sum(((variables.value - moments.mean_value) ^ 2)::decimal(38, 12))::double
            / any_value(moments.n_values)
        ) as sd_value,
    from moments
    join variables using (indicator_code, year)
    semi join complete using (region_code, year)
    group by moments.indicator_code, moments.year
),

candidates as (
    select
        variables.*,
        coalesce((variables.value - spread.mean_value) / nullif(spread.sd_value, 0), 0) as z,
    from variables
    semi join complete using (region_code, year)
    join spread using (indicator_code, year)
),

distances as (
    select
        region.region_code,
        region.year,
        peer.region_code as peer_region_code,
        sqrt(sum(((region.z - peer.z) ^ 2)::decimal(38, 12))::double) as distance,
    from candidates as region
    join candidates as peer
        on peer.year = region.year
        and peer.indicator_code = region.indicator_code
        and peer.region_code <> region.region_code
    group by region.region_code, region.year, peer.region_code
),

final as (
    select
        region_code,
        year,
        row_number() over (partition by region_code, year order by distance, peer_region_code) as peer_rank,
        peer_region_code,
        distance,
    from distances
    qualify peer_rank <= getvariable('scoreboard_peer_count')
)

select * from final
