-- The regional ecosystem scoreboard for people: fct_ecosystem_scoreboard with region and country names.
-- One row per region x dimension (or 'overall') x year.
-- Materialized: view (labels joined on read: nothing stored twice)
with scores as (
    select * from marts.fct_ecosystem_scoreboard
),

countries as (
    select region_code as country_code, region_name as country_name from marts.dim_region
    where nuts_level = 0
),

final as (
    select
        regions.region_name,
        countries.country_name,
        regions.nuts_level,
        scores.*,
    from scores
    left join marts.dim_region as regions using (region_code)
    left join countries on countries.country_code = left(scores.region_code, 2)
)

select * from final
